// The sidecar's block-time estimate: a median per block, deaf to a jump of many blocks at once.
import { describe, expect, it } from "vitest";
import { createBlockRate } from "../../src/sidecar/block-rate.js";

describe("createBlockRate", () => {
  it("is undefined until enough intervals were seen, then the median ms per block", () => {
    const rate = createBlockRate();
    expect(rate.blockMs()).toBeUndefined();
    rate.observe(10n, 1_000);
    expect(rate.blockMs()).toBeUndefined();
    rate.observe(11n, 1_500);
    expect(rate.blockMs()).toBe(500);
    expect(rate.blockMs(2)).toBeUndefined();
    rate.observe(13n, 2_300); // two blocks in 800 ms: 400 a block
    expect(rate.blockMs(2)).toBe(450);
  });

  it("ignores heights that do not advance and is not fooled by a fast-forward of 40 blocks", () => {
    const rate = createBlockRate(8);
    for (let h = 1; h <= 6; h++) rate.observe(BigInt(h), h * 500);
    rate.observe(6n, 3_500);
    rate.observe(46n, 3_510); // 40 blocks mined at once
    for (let h = 47; h <= 49; h++) rate.observe(BigInt(h), 3_510 + (h - 46) * 500);
    expect(rate.blockMs()).toBe(500);
  });

  it("forgets samples older than its window", () => {
    const rate = createBlockRate(3);
    for (let h = 1; h <= 10; h++) rate.observe(BigInt(h), h * 1_000);
    for (let h = 11; h <= 14; h++) rate.observe(BigInt(h), 10_000 + (h - 10) * 200);
    expect(rate.blockMs()).toBe(200);
  });
});
