import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  acceptanceRateParam,
  availabilityParams,
  DEFAULT_PARAMS,
  defaultParams,
  ParamError,
  parseDecimal,
  parseParams,
} from "../../src/core/index.js";

describe("default params", () => {
  it("are docs/protocol.md's defaults, and each call returns a fresh copy", () => {
    expect(defaultParams()).toEqual({
      model: "Qwen/Qwen3-235B-A22B-Instruct-2507-FP8",
      seqLen: 1024,
      kDim: 12,
      distThreshold: "0.173663",
      fpRate: "0.02",
      alpha: "0.05",
      sampleSize: 200,
      quorumNum: 1n,
      quorumDen: 2n,
      validationSlots: 0,
      proofRequestBudget: 8,
      proofResponseMs: 30_000,
      acceptanceRate: "",
    });
    const a = defaultParams();
    a.sampleSize = 7;
    expect(defaultParams().sampleSize).toBe(200);
    expect(Object.isFrozen(DEFAULT_PARAMS)).toBe(true);
  });
});

describe("availabilityParams", () => {
  it("reads 0 (params older than them) as the defaults and refuses values out of bounds, naming the field", () => {
    expect(availabilityParams({ proofRequestBudget: 0, proofResponseMs: 0 })).toEqual({
      budget: 8,
      responseMs: 30_000,
    });
    expect(availabilityParams({ proofRequestBudget: 3, proofResponseMs: 4000 })).toEqual({
      budget: 3,
      responseMs: 4000,
    });
    expect(() => availabilityParams({ proofRequestBudget: 1001, proofResponseMs: 0 })).toThrow(/^proof_request_budget/);
    expect(() => availabilityParams({ proofRequestBudget: 1, proofResponseMs: 99 })).toThrow(/^proof_response_ms/);
    expect(() => parseParams({ ...defaultParams(), proofResponseMs: 50 })).toThrow(ParamError);
  });
});

describe("parseDecimal", () => {
  it("reads canonical decimals exactly", () => {
    expect(parseDecimal("0.173663", "dist_threshold").toString()).toBe("0.173663");
    expect(parseDecimal("0.1", "x").plus(parseDecimal("0.2", "x")).eq(parseDecimal("0.3", "x"))).toBe(true);
    expect(parseDecimal("12", "x").toNumber()).toBe(12);
  });
  it.each(["", "-1", "+1", "1e-4", "01", "00.5", ".5", "5.", "0x10", " 1", "1 ", "NaN", "Infinity"])(
    "refuses %j naming the field",
    (text) => {
      expect(() => parseDecimal(text, "alpha")).toThrow(ParamError);
      expect(() => parseDecimal(text, "alpha")).toThrow(/^alpha: .* is not a decimal number/);
    },
  );
  it("round-trips every canonical decimal to the double Number() gives (property)", () => {
    const canonical = fc
      .tuple(fc.nat(10 ** 6), fc.option(fc.stringMatching(/^[0-9]{1,12}$/), { nil: undefined }))
      .map(([i, f]) => (f === undefined ? String(i) : `${i}.${f}`));
    fc.assert(
      fc.property(canonical, (text) => {
        expect(parseDecimal(text, "x").toNumber()).toBe(Number(text));
      }),
    );
  });
});

describe("parseParams", () => {
  it("parses the defaults", () => {
    expect(parseParams(DEFAULT_PARAMS)).toEqual({
      ...DEFAULT_PARAMS,
      distThreshold: 0.173663,
      fpRate: 0.02,
      alpha: 0.05,
      kCrit: 8,
    });
  });
  it.each<[string, Partial<typeof DEFAULT_PARAMS>, string]>([
    ["an empty model", { model: "" }, "model"],
    ["seq_len 0", { seqLen: 0 }, "seq_len"],
    ["k_dim 0", { kDim: 0 }, "k_dim"],
    ["sample_size 0", { sampleSize: 0 }, "sample_size"],
    ["validation_slots -1", { validationSlots: -1 }, "validation_slots"],
    ["validation_slots 10001", { validationSlots: 10_001 }, "validation_slots"],
    ["validation_slots 1.5", { validationSlots: 1.5 }, "validation_slots"],
    ["dist_threshold 0", { distThreshold: "0" }, "dist_threshold"],
    ["fp_rate 0", { fpRate: "0" }, "fp_rate"],
    ["fp_rate 1", { fpRate: "1" }, "fp_rate"],
    ["fp_rate just above 1", { fpRate: "1.00000000000000000001" }, "fp_rate"],
    ["fp_rate just below 1 that reads as the double 1", { fpRate: "0.99999999999999999999" }, "fp_rate"],
    ["alpha in exponent form", { alpha: "5e-2" }, "alpha"],
    ["alpha 1.5", { alpha: "1.5" }, "alpha"],
    ["acceptance_rate at fp_rate", { acceptanceRate: "0.02" }, "acceptance_rate"],
    ["acceptance_rate above fp_rate", { acceptanceRate: "0.3" }, "acceptance_rate"],
    ["acceptance_rate in exponent form", { acceptanceRate: "1e-2" }, "acceptance_rate"],
    ["acceptance_rate negative", { acceptanceRate: "-0.01" }, "acceptance_rate"],
    ["quorum_den 0", { quorumNum: 0n, quorumDen: 0n }, "quorum_den"],
    ["quorum 3/2", { quorumNum: 3n, quorumDen: 2n }, "quorum_num"],
  ])("refuses %s", (_name, change, field) => {
    let error: unknown;
    try {
      parseParams({ ...DEFAULT_PARAMS, ...change });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ParamError);
    expect((error as ParamError).field).toBe(field);
  });
  it("reads acceptance_rate exactly below fp_rate, says what is wrong above it, and '' as off", () => {
    expect(parseParams({ ...DEFAULT_PARAMS, acceptanceRate: "0.015" }).acceptanceRate).toBe("0.015");
    expect(parseParams({ ...DEFAULT_PARAMS, acceptanceRate: "0" }).acceptanceRate).toBe("0");
    // one digit below fp_rate at the 30th place is below it: compared as decimals, not doubles
    const justBelow = `0.${"0".repeat(1)}1${"9".repeat(28)}`;
    expect(parseParams({ ...DEFAULT_PARAMS, acceptanceRate: justBelow }).acceptanceRate).toBe(justBelow);
    expect(parseParams(DEFAULT_PARAMS).acceptanceRate).toBe("");
    expect(acceptanceRateParam("", "0.02")).toBeUndefined();
    expect(() => acceptanceRateParam("0.025", "0.02")).toThrow(
      "acceptance_rate: 0.025 is not below fp_rate 0.02: the early acceptance line must lie below the honest rate",
    );
  });
  it("judges a probability exactly: a decimal just above 0 that is a positive double passes", () => {
    expect(parseParams({ ...DEFAULT_PARAMS, alpha: "0.0000000000000000000001" }).alpha).toBe(1e-22);
  });
});
