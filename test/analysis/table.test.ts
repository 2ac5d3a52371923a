import { describe, expect, it } from "vitest";
import { formatPercent, formatProbability, formatPValue, renderTable } from "../../src/analysis/index.js";

describe("renderTable", () => {
  it("pads columns, aligns right where asked and underlines the header", () => {
    expect(
      renderTable(
        ["k", "p-value"],
        [
          ["8", "0.049335"],
          ["10", "0.007479"],
        ],
        ["right", "right"],
      ),
    ).toBe(" k   p-value\n--  --------\n 8  0.049335\n10  0.007479");
  });
});

describe("number formats", () => {
  it("writes probabilities with six decimals, tiny ones in exponent form", () => {
    expect(formatProbability(0.5498957078603415)).toBe("0.549896");
    expect(formatProbability(1.543e-37)).toBe("1.543e-37");
    expect(formatProbability(0)).toBe("0");
    expect(formatPValue(0)).toBe("< 1e-300");
    expect(formatPercent(0.73563, 3)).toBe("73.563%");
  });
});
