import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type CalibrationFile,
  exactMixedNetwork,
  hardwareNetwork,
  hardwareNetworkJson,
  hardwareSvg,
  mixedVoteDistribution,
  pairRate,
  SimulationInputError,
  weightedVoteDistribution,
} from "../../src/analysis/index.js";

// The real experiment's rates in kind: H class vs B200 3.4%, H vs A 2.4%, A vs B200 2.2%.
const calibration: CalibrationFile = {
  threshold: 0.178,
  policy: "pooled",
  fp_rate: 0.02,
  fp_rate_upper: 0.05,
  honest_servers: ["A", "B", "H"],
  pairs: [
    { a: "H", b: "B", n: 500, mismatches: 17, rate: 0.034 },
    { a: "H", b: "A", n: 500, mismatches: 12, rate: 0.024 },
    { a: "A", b: "B", n: 500, mismatches: 11, rate: 0.022 },
  ],
};
const stakes = [35, 25, 15, 10, 10, 5];
const validatorServers = ["H", "H", "B", "A", "H", "B"];

describe("hardwareNetwork", () => {
  it("matches scipy: per-validator flags at each pair rate and the exact stake-weighted conviction", () => {
    // scipy: binom.sf(7, 200, r) with k_crit 8 (fp_rate 0.02, alpha 0.05); enumeration of the 2^6 votes.
    const r = hardwareNetwork({ stakes, validatorServers, calibration, participantServer: "B", alpha: 0.05 });
    expect(r.kCrit).toBe(8);
    expect(r.rates).toEqual([0.034, 0.034, 0, 0.022, 0.034, 0]);
    expect(Math.abs(r.flags[0]! - 0.3709807091724946)).toBeLessThan(1e-12);
    expect(Math.abs(r.flags[3]! - 0.07632951419208052)).toBeLessThan(1e-12);
    expect(r.flags[2]).toBe(0);
    expect(Math.abs(r.exact.pConvicted - 0.14423452046933735)).toBeLessThan(1e-12);
    const byClass = new Map(r.classes.map((c) => [c.server, c]));
    expect(byClass.get("H")!.pConvicted).toBe(0);
    expect(Math.abs(byClass.get("A")!.pConvicted - 0.01367507382458629)).toBeLessThan(1e-12);
    expect(byClass.get("B")!.perValidatorRateMax).toBe(0.034);
    const json = hardwareNetworkJson(r);
    expect(Object.keys(json).slice(0, 2)).toEqual(["exact", "per_validator_rate_max"]);
    expect(json.per_validator_rate_max).toBe(0.034);
    expect(hardwareSvg(r)).toMatch(/^<svg[\s\S]*B \(participant\): 1\.44e-1/);
  });

  it("with M slots (version 2): matches an enumeration of the 6^3 slot draws and every holder's vote", () => {
    // Python: every sequence of 3 slots drawn by stake, each holder voting once with binom.sf(7, 200, r).
    const r = hardwareNetwork({ stakes, validatorServers, calibration, participantServer: "B", alpha: 0.05, slots: 3 });
    expect(r.slots).toBe(3);
    expect(Math.abs(r.exact.pConvicted - 0.23340065423502582)).toBeLessThan(1e-12);
    expect(hardwareNetworkJson(r).slots).toBe(3);
  });

  it("uses fp_rate_upper under worst-pair by default, and names what is wrong", () => {
    const r = hardwareNetwork({
      stakes,
      validatorServers,
      calibration: { ...calibration, policy: "worst-pair" },
      participantServer: "B",
    });
    expect(r.fpRate).toBe(0.05);
    expect(() => pairRate(calibration, "H", "Z")).toThrow(/no pair "H" vs "Z" \(servers: H, B, A\)/);
    expect(() => hardwareNetwork({ stakes, validatorServers: ["H"], calibration, participantServer: "B" })).toThrow(
      SimulationInputError,
    );
    expect(() => hardwareNetwork({ stakes, validatorServers, calibration, participantServer: "Q" })).toThrow(
      /participant-server: "Q" is not a server of the calibration/,
    );
  });
});

describe("mixedVoteDistribution", () => {
  it("equals the single-probability distribution when every validator has the same q", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 12 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (weights, q) => {
          const a = mixedVoteDistribution(
            weights,
            weights.map(() => q),
          );
          const b = weightedVoteDistribution(weights, q);
          for (let s = 0; s < a.length; s++) expect(Math.abs(a[s]! - b[s]!)).toBeLessThan(1e-12);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("sums to one and puts the whole mass on the certain voters' stake", () => {
    const d = mixedVoteDistribution([3, 5, 7], [1, 0, 1]);
    expect(d[10]).toBe(1);
    expect(exactMixedNetwork([3, 5, 7], [1, 0, 1], 0.5).pConvicted).toBe(1);
    expect(exactMixedNetwork([3, 5, 7], [1, 1, 0], 0.6).pConvicted).toBe(0);
  });
});
