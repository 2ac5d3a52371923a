import { randomBytes } from "node:crypto";
import { buildLevels, HASH_SIZE, leafHash, levelNodes, merkleRoot, sha256 } from "../../src/core/index.js";
import { fmt, peakRssMiB, timeMs } from "./util.js";

const N = 1_000_000;
const VECTOR_BYTES = 24;

/** Root of 1,000,000 artifacts against the floor of 2n-1 bare SHA-256 calls on same-size inputs. */
export async function bench(): Promise<void> {
  const vectors = randomBytes(N * VECTOR_BYTES);
  const leafInput = randomBytes(1 + 8 + VECTOR_BYTES);
  const nodeInput = randomBytes(1 + 2 * HASH_SIZE);
  const rssBefore = peakRssMiB();

  const floorMs = await timeMs(() => {
    // The floor: the same number of hashes of the same sizes, with nothing else around them.
    for (let i = 0; i < N; i++) sha256(leafInput);
    for (let i = 0; i < N - 1; i++) sha256(nodeInput);
  });

  let root: Uint8Array = new Uint8Array();
  const rootMs = await timeMs(() => {
    const leaves = new Uint8Array(N * HASH_SIZE);
    for (let i = 0; i < N; i++) {
      leaves.set(leafHash(i, vectors.subarray(i * VECTOR_BYTES, (i + 1) * VECTOR_BYTES)), i * HASH_SIZE);
    }
    root = merkleRoot(levelNodes(buildLevels(leaves)), N);
  });

  console.log(`artifacts: ${N.toLocaleString("en-US")}, root ${Buffer.from(root).toString("hex").slice(0, 16)}...`);
  console.log(`floor (2n-1 bare SHA-256): ${fmt(floorMs, 0)} ms`);
  console.log(`root of the artifacts:     ${fmt(rootMs, 0)} ms`);
  console.log(`ratio root / floor: ${fmt(rootMs / floorMs)}x (target <= 1.5x)`);
  console.log(`peak RSS: ${fmt(peakRssMiB(), 0)} MiB (before: ${fmt(rssBefore, 0)} MiB)`);
}
