// Early acceptance's table (src/core/acceptance.ts): a(c) = floor(lambda c), read exactly.
import { describe, expect, it } from "vitest";
import { acceptanceTable, acceptsEarly } from "../../src/core/acceptance.js";

describe("acceptanceTable", () => {
  it("is floor(lambda * c) in exact fractions, -1 at c = 0", () => {
    expect(acceptanceTable(5, "0.5")).toEqual([-1, 0, 1, 1, 2]);
    // 0.01 * 100 is exactly 1 (a float product would give 0.9999... for some decimals)
    expect(acceptanceTable(201, "0.01")[100]).toBe(1);
    expect(acceptanceTable(201, "0.01")[99]).toBe(0);
  });
  it("accepts only before n and at or below the line", () => {
    const t = acceptanceTable(40, "0.05");
    expect(acceptsEarly(t, 20, 1)).toBe(true);
    expect(acceptsEarly(t, 20, 2)).toBe(false);
    expect(acceptsEarly(t, 40, 0)).toBe(false);
  });
});
