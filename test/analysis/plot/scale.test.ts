import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatTick, linearScale, niceStep, niceTicks } from "../../../src/analysis/plot/index.js";

describe("niceTicks", () => {
  it("picks round steps covering the range", () => {
    expect(niceTicks(0, 0.93, 5)).toEqual({ ticks: [0, 0.2, 0.4, 0.6, 0.8, 1], domain: [0, 1] });
    expect(niceTicks(0, 0.1642, 8).ticks).toEqual([0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.12, 0.14, 0.16, 0.18]);
    expect(niceStep(1000, 4)).toBe(200);
  });

  it("always covers [min, max] with 1, 2 or 5 times a power of ten", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.double({ min: 1e-6, max: 1e6, noNaN: true }),
        (lo, span) => {
          const { ticks, domain } = niceTicks(lo, lo + span, 6);
          const step = ticks[1]! - ticks[0]!;
          // Up to float noise (a millionth of a step) the ticks hold the data.
          expect(domain[0]).toBeLessThanOrEqual(lo + step * 1e-6);
          expect(domain[1]).toBeGreaterThanOrEqual(lo + span - step * 1e-6);
          const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
          // Differences of large tick values carry float noise, hence the loose match.
          expect([1, 2, 5, 10].some((m) => Math.abs(mantissa - m) < 1e-3)).toBe(true);
          expect(ticks.length).toBeLessThanOrEqual(30);
        },
      ),
    );
  });
});

describe("linearScale and formatTick", () => {
  it("maps the domain ends onto the range ends, inverted for y", () => {
    const y = linearScale([0, 10], [400, 40]);
    expect(y(0)).toBe(400);
    expect(y(10)).toBe(40);
    expect(y(5)).toBe(220);
  });

  it("writes as many decimals as the step needs", () => {
    expect(formatTick(0.2, 0.02)).toBe("0.20");
    expect(formatTick(1500, 500)).toBe("1500");
    expect(formatTick(0.35, 0.05)).toBe("0.35");
  });
});
