import { describe, expect, it } from "vitest";
import { createRng } from "../../src/core/index.js";

describe("createRng", () => {
  it("matches a Python transcription of splitmix32 seeding and the xoshiro128** reference step", () => {
    // Values from a Python big-integer transcription of the reference C code (mod 2^32).
    const r = createRng(1);
    expect([r.nextUint32(), r.nextUint32(), r.nextUint32()]).toEqual([2442144158, 3238099751, 3819917871]);
    expect(createRng(2 ** 40 + 5).nextUint32()).toBe(1121981940);
  });

  it("gives the same stream for the same seed and another for another seed", () => {
    const a = createRng(77);
    const b = createRng(77);
    const c = createRng(78);
    const xs = Array.from({ length: 5 }, () => a.nextFloat());
    expect(Array.from({ length: 5 }, () => b.nextFloat())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.nextFloat())).not.toEqual(xs);
  });

  it("draws floats in [0, 1) with mean 1/2 and even deciles", () => {
    const r = createRng(2024);
    const n = 200_000;
    const deciles = new Array<number>(10).fill(0);
    let sum = 0;
    let outside = 0;
    for (let i = 0; i < n; i++) {
      const x = r.nextFloat();
      if (!(x >= 0 && x < 1)) outside++;
      sum += x;
      deciles[Math.floor(x * 10)]!++;
    }
    expect(outside).toBe(0);
    // sd of the mean: 1 / sqrt(12 n) = 0.00065.
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.004);
    // Chi-square with 9 degrees of freedom: 27.9 is its 0.999 quantile.
    const chi2 = deciles.reduce((s, c) => s + (c - n / 10) ** 2 / (n / 10), 0);
    expect(chi2).toBeLessThan(27.9);
  });

  it("fill continues the same stream as nextUint32", () => {
    const a = createRng(5);
    const b = createRng(5);
    const bulk = new Uint32Array(10);
    a.fill(bulk.subarray(0, 4));
    const one = a.nextUint32();
    a.fill(bulk.subarray(4));
    const single = Array.from({ length: 11 }, () => b.nextUint32());
    expect([...bulk.subarray(0, 4), one, ...bulk.subarray(4)]).toEqual(single);
  });

  it("refuses a seed that is not a safe integer", () => {
    expect(() => createRng(1.5)).toThrow(RangeError);
  });
});
