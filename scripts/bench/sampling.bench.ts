import { sampleIndices } from "../../src/core/index.js";
import { fmt, timeMs } from "./util.js";

/** One sample of 500 indices out of 2^32, against one of 500 out of 1,000 (same work, small range). */
export async function bench(): Promise<void> {
  const input = {
    stageHeight: 1000,
    samplingBlockHash: "5a".repeat(32),
    validatorAddress: "pocval1validator",
    participantAddress: "pocval1participant",
    sampleSize: 500,
  };
  for (let i = 0; i < 20; i++) sampleIndices({ ...input, count: 2 ** 32 }); // warm up
  const rounds = 200;
  const bigMs =
    (await timeMs(() => {
      for (let i = 0; i < rounds; i++) sampleIndices({ ...input, stageHeight: i, count: 2 ** 32 });
    })) / rounds;
  const smallMs =
    (await timeMs(() => {
      for (let i = 0; i < rounds; i++) sampleIndices({ ...input, stageHeight: i, count: 1000 });
    })) / rounds;
  const heapBefore = process.memoryUsage().heapUsed;
  const sample = sampleIndices({ ...input, count: 2 ** 32 });
  const heapAfter = process.memoryUsage().heapUsed;
  console.log(`sample of ${sample.length} out of 2^32: ${fmt(bigMs, 3)} ms`);
  console.log(
    `sample of 500 out of 1,000:    ${fmt(smallMs, 3)} ms (ratio ${fmt(bigMs / smallMs)}x: O(sample size), not O(count))`,
  );
  console.log(`heap growth for one sample: ${fmt((heapAfter - heapBefore) / 1024, 0)} KiB`);
}
