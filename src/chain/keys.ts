// Store layout of the pocval module. A key is a one-byte record prefix, then stage heights as
// u64 big endian (so byte order is numeric order) and addresses as UTF-8 ended by 0x00
// (bech32 never contains 0x00, so a participant's key is never a prefix of another's).

const PARAMS = 0x01;
const TIMING = 0x02;
const AUTHORITY = 0x03;
const K_CRIT = 0x04;
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

/** Bytes a key part takes: 8 for a stage height, the UTF-8 bytes and a 0x00 for an address. */
function partLength(part: bigint | string): number {
  if (typeof part === "bigint") return 8;
  for (let i = 0; i < part.length; i++) if (part.charCodeAt(i) > 0x7f) return utf8.encode(part).length + 1;
  return part.length + 1;
}

function writePart(out: Uint8Array, offset: number, part: bigint | string): number {
  if (typeof part === "bigint") {
    const high = Number(part >> 32n);
    const low = Number(part & 0xffff_ffffn);
    out[offset] = high >>> 24;
    out[offset + 1] = (high >>> 16) & 0xff;
    out[offset + 2] = (high >>> 8) & 0xff;
    out[offset + 3] = high & 0xff;
    out[offset + 4] = low >>> 24;
    out[offset + 5] = (low >>> 16) & 0xff;
    out[offset + 6] = (low >>> 8) & 0xff;
    out[offset + 7] = low & 0xff;
    return offset + 8;
  }
  let at = offset;
  for (let i = 0; i < part.length; i++) {
    const code = part.charCodeAt(i);
    if (code > 0x7f) return offset + utf8.encodeInto(part, out.subarray(offset)).written + 1;
    out[at++] = code;
  }
  return at + 1; // the 0x00 terminator is already there
}

// Keys are built on every read and write: one allocation, no intermediate arrays.
function key(prefix: number, a?: bigint | string, b?: string, c?: string): Uint8Array {
  const out = new Uint8Array(
    1 +
      (a === undefined ? 0 : partLength(a)) +
      (b === undefined ? 0 : partLength(b)) +
      (c === undefined ? 0 : partLength(c)),
  );
  out[0] = prefix;
  let offset = 1;
  if (a !== undefined) offset = writePart(out, offset, a);
  if (b !== undefined) offset = writePart(out, offset, b);
  if (c !== undefined) writePart(out, offset, c);
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
  kCrit: () => key(K_CRIT),
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
