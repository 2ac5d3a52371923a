import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sampleIndices } from "../../src/core/index.js";

const base = {
  stageHeight: 42,
  samplingBlockHash: "ab".repeat(32),
  validatorAddress: "pocval1validator",
  participantAddress: "pocval1participant",
};

describe("sampleIndices (docs/protocol.md sampling)", () => {
  it("matches an independent implementation (Python hashlib) on literal inputs", () => {
    expect(sampleIndices({ ...base, count: 1000, sampleSize: 10 })).toEqual([
      338, 298, 475, 855, 697, 86, 306, 681, 761, 100,
    ]);
    expect(sampleIndices({ ...base, count: 2 ** 32, sampleSize: 5 })).toEqual([
      2215638122, 1595678767, 987212393, 3093642159, 86188249,
    ]);
    expect(sampleIndices({ ...base, count: 3, sampleSize: 2 })).toEqual([2, 1]);
  });

  it("returns every index when the sample is at least the count", () => {
    expect(sampleIndices({ ...base, count: 7, sampleSize: 7 })).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(sampleIndices({ ...base, count: 3, sampleSize: 200 })).toEqual([0, 1, 2]);
  });

  it("depends on every public input", () => {
    const a = sampleIndices({ ...base, count: 1_000_000, sampleSize: 20 });
    expect(sampleIndices({ ...base, stageHeight: 43, count: 1_000_000, sampleSize: 20 })).not.toEqual(a);
    expect(
      sampleIndices({ ...base, samplingBlockHash: "ac".repeat(32), count: 1_000_000, sampleSize: 20 }),
    ).not.toEqual(a);
    expect(sampleIndices({ ...base, validatorAddress: "pocval1other", count: 1_000_000, sampleSize: 20 })).not.toEqual(
      a,
    );
    expect(
      sampleIndices({ ...base, participantAddress: "pocval1other", count: 1_000_000, sampleSize: 20 }),
    ).not.toEqual(a);
  });

  it("rejects a malformed sampling hash", () => {
    expect(() => sampleIndices({ ...base, samplingBlockHash: "abc", count: 10, sampleSize: 2 })).toThrow(
      /sampling_block_hash/,
    );
    expect(() => sampleIndices({ ...base, samplingBlockHash: "ab".repeat(31), count: 10, sampleSize: 2 })).toThrow(
      /expected 32 bytes/,
    );
  });

  it("samples are distinct, in range and reproducible", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 40 }),
        fc.integer({ min: 1, max: 300 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.string({ maxLength: 20 }),
        (count, sampleSize, hash, validator) => {
          const input = {
            ...base,
            samplingBlockHash: Buffer.from(hash).toString("hex"),
            validatorAddress: validator,
            count,
            sampleSize,
          };
          const sample = sampleIndices(input);
          expect(sample.length).toBe(Math.min(count, sampleSize));
          expect(new Set(sample).size).toBe(sample.length);
          for (const i of sample) expect(i >= 0 && i < count && Number.isInteger(i)).toBe(true);
          expect(sampleIndices(input)).toEqual(sample);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("is close to uniform over a small range", () => {
    const hits = new Array(10).fill(0);
    for (let v = 0; v < 2000; v++) {
      for (const i of sampleIndices({ ...base, validatorAddress: `v${v}`, count: 10, sampleSize: 3 })) hits[i]++;
    }
    // 600 expected per index; a 5-sigma band is about +-110.
    for (const h of hits) expect(Math.abs(h - 600)).toBeLessThan(110);
  });
});
