import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DecimalError, fromE18, pValueToE18, toE18 } from "../../src/evm/index.js";

describe("18-decimal fixed point (src/evm/decimal.ts)", () => {
  it("converts the default params exactly", () => {
    expect(toE18("0.02", "fp_rate")).toBe(20_000_000_000_000_000n);
    expect(toE18("0.05", "alpha")).toBe(50_000_000_000_000_000n);
    expect(toE18("0.173663", "dist_threshold")).toBe(173_663_000_000_000_000n);
    expect(fromE18(50_000_000_000_000_000n)).toBe("0.05");
  });

  it("refuses more than 18 decimals and negative values, naming the field", () => {
    expect(() => toE18("0.0000000000000000001", "alpha")).toThrow(/alpha .* more than 18 decimals/);
    expect(() => toE18("-1", "alpha")).toThrow(DecimalError);
  });

  it("rounds p-values down, exponent notation included", () => {
    expect(pValueToE18("1e-30")).toBe(0n);
    expect(pValueToE18("0.049999999999999999999")).toBe(49_999_999_999_999_999n);
    expect(pValueToE18("1")).toBe(10n ** 18n);
    expect(() => pValueToE18("1.0000000000000000001")).toThrow(/exceeds 1/);
  });

  it("round-trips every 18-decimal value (fast-check)", () => {
    fc.assert(
      fc.property(fc.bigInt(0n, 10n ** 30n), (x) => {
        expect(toE18(fromE18(x), "x")).toBe(x);
      }),
      { numRuns: 2000 },
    );
  });
});
