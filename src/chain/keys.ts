// Store layout of the pocval module. A key is a one-byte record prefix, then stage heights as
// u64 big endian (so byte order is numeric order) and addresses as UTF-8 ended by 0x00
// (bech32 never contains 0x00, so a participant's key is never a prefix of another's).

const PARAMS = 0x01;
const TIMING = 0x02;
const AUTHORITY = 0x03;
const VALIDATOR = 0x10;
const PARTICIPANT = 0x11;
const COMMITMENT = 0x20;
const VOTE = 0x21;
const BALLOT = 0x22;
const SNAPSHOT = 0x30;
const TALLY = 0x31;
const FINALIZED = 0x32;

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

const isAscii = (text: string): boolean => {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
};

// Keys are built on every read and write, so this avoids intermediate arrays: one allocation per key.
function key(prefix: number, ...parts: (bigint | string)[]): Uint8Array {
  let length = 1;
  const encoded: (Uint8Array | string | bigint)[] = parts.map((part) => {
    if (typeof part === "bigint") {
      length += 8;
      return part;
    }
    if (isAscii(part)) {
      length += part.length + 1;
      return part;
    }
    const bytes = utf8.encode(part);
    length += bytes.length + 1;
    return bytes;
  });
  const out = new Uint8Array(length);
  out[0] = prefix;
  let offset = 1;
  for (const part of encoded) {
    if (typeof part === "bigint") {
      new DataView(out.buffer).setBigUint64(offset, part, false);
      offset += 8;
    } else if (typeof part === "string") {
      for (let i = 0; i < part.length; i++) out[offset++] = part.charCodeAt(i);
      out[offset++] = 0;
    } else {
      out.set(part, offset);
      offset += part.length + 1;
    }
  }
  return out;
}

/** The address segments of a key after its fixed-size head (prefix byte and stage height). */
function addressesAfter(k: Uint8Array, head: number): string[] {
  const out: string[] = [];
  let start = head;
  for (let i = head; i < k.length; i++) {
    if (k[i] === 0) {
      out.push(utf8Decoder.decode(k.subarray(start, i)));
      start = i + 1;
    }
  }
  return out;
}

const STAGE_HEAD = 9;

export const keys = {
  params: () => key(PARAMS),
  timing: () => key(TIMING),
  authority: () => key(AUTHORITY),
  validators: () => key(VALIDATOR),
  validator: (address: string) => key(VALIDATOR, address),
  participants: () => key(PARTICIPANT),
  participant: (address: string) => key(PARTICIPANT, address),
  allCommitments: () => key(COMMITMENT),
  commitments: (stage: bigint) => key(COMMITMENT, stage),
  commitment: (stage: bigint, participant: string) => key(COMMITMENT, stage, participant),
  allVotes: () => key(VOTE),
  votes: (stage: bigint) => key(VOTE, stage),
  votesOn: (stage: bigint, participant: string) => key(VOTE, stage, participant),
  vote: (stage: bigint, participant: string, validator: string) => key(VOTE, stage, participant, validator),
  ballot: (stage: bigint, participant: string) => key(BALLOT, stage, participant),
  allSnapshots: () => key(SNAPSHOT),
  snapshot: (stage: bigint) => key(SNAPSHOT, stage),
  allTallies: () => key(TALLY),
  tallies: (stage: bigint) => key(TALLY, stage),
  tally: (stage: bigint, participant: string) => key(TALLY, stage, participant),
  allFinalized: () => key(FINALIZED),
  finalized: (stage: bigint) => key(FINALIZED, stage),
} as const;

/** The stage height of a stage-keyed record. */
export function stageOfKey(k: Uint8Array): bigint {
  return new DataView(k.buffer, k.byteOffset + 1, 8).getBigUint64(0, false);
}

/** (participant, validator) of a vote key. */
export function voteKeyParts(k: Uint8Array): { participant: string; validator: string } {
  const [participant = "", validator = ""] = addressesAfter(k, STAGE_HEAD);
  return { participant, validator };
}
