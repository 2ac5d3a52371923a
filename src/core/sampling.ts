// Which leaves a validator checks (docs/protocol.md, sampling): the seed, the u64 stream and the
// unbiased sample. Pure and deterministic.
import { concatBytes, fromHex, u64le } from "./encoding.js";
import { sha256 } from "./hash.js";

const DOMAIN = new TextEncoder().encode("pocval/sample/v1");
const TWO_64 = 1n << 64n;

/** The public inputs that fix one validator's sample of one participant. */
export interface SampleInput {
  stageHeight: bigint | number;
  /** Block hash of the sampling height, 64 hex characters. */
  samplingBlockHash: string;
  validatorAddress: string;
  participantAddress: string;
  /** The participant's committed leaf count. */
  count: bigint | number;
  sampleSize: number;
}

/** The sample seed of docs/protocol.md. */
export function sampleSeed(input: Omit<SampleInput, "count" | "sampleSize">): Uint8Array {
  const utf8 = new TextEncoder();
  return sha256(
    concatBytes(
      DOMAIN,
      u64le(input.stageHeight),
      fromHex(input.samplingBlockHash, "sampling_block_hash", 32),
      utf8.encode(input.validatorAddress),
      new Uint8Array([0]),
      utf8.encode(input.participantAddress),
    ),
  );
}

/** The u64 stream SHA-256(seed || u64_le(j)), j = 0, 1, ..., read 8 bytes at a time. */
export function u64Stream(seed: Uint8Array): () => bigint {
  let block: Uint8Array = new Uint8Array(0);
  let offset = 0;
  let j = 0n;
  return () => {
    if (offset + 8 > block.length) {
      block = sha256(concatBytes(seed, u64le(j)));
      j++;
      offset = 0;
    }
    const value = new DataView(block.buffer, block.byteOffset + offset, 8).getBigUint64(0, true);
    offset += 8;
    return value;
  };
}

/**
 * uniform(m) of docs/protocol.md: draws u64 values from the stream, rejects those >= floor(2^64 / m) * m,
 * returns value % m. Shared by sampling and slot assignment.
 */
export function uniformFrom(next: () => bigint, m: bigint): bigint {
  if (m <= 0n || m >= TWO_64) throw new RangeError(`uniform(m) needs 0 < m < 2^64, got ${m}`);
  const limit = (TWO_64 / m) * m;
  for (;;) {
    const v = next();
    if (v < limit) return v % m;
  }
}

/**
 * The sampled leaf indices of docs/protocol.md: a lazy Fisher-Yates over 0..count-1 driven by the
 * seed stream, O(sampleSize) time and memory whatever the count.
 * @example sampleIndices({stageHeight: 10, samplingBlockHash: "00".repeat(32), validatorAddress: "v",
 *   participantAddress: "p", count: 5, sampleSize: 200}) // [0, 1, 2, 3, 4]
 */
export function sampleIndices(input: SampleInput): number[] {
  const n = BigInt(input.count);
  const s = BigInt(input.sampleSize);
  if (n < 0n) throw new RangeError(`count must be >= 0, got ${n}`);
  if (!(Number.isSafeInteger(input.sampleSize) && input.sampleSize >= 0)) {
    throw new RangeError(`sampleSize must be a non-negative integer, got ${input.sampleSize}`);
  }
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`count ${n} is beyond 2^53`);
  if (s >= n) return Array.from({ length: Number(n) }, (_, i) => i);
  const next = u64Stream(sampleSeed(input));
  const uniform = (m: bigint): bigint => uniformFrom(next, m);
  // Sparse view of the permutation: only swapped positions are stored.
  const swapped = new Map<bigint, bigint>();
  const at = (i: bigint): bigint => swapped.get(i) ?? i;
  const out: number[] = [];
  for (let i = 0n; i < s; i++) {
    const j = i + uniform(n - i);
    const ai = at(i);
    const aj = at(j);
    swapped.set(i, aj);
    swapped.set(j, ai);
    out.push(Number(aj));
  }
  return out;
}
