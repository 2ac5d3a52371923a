// localnet/pair-rates.json re-measured from the reference profiles, and the localnet risk that uses it.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  loadPairRateTable,
  measurePairRates,
  parsePairRateTable,
  tablePairRate,
} from "../../src/analysis/pair-rates.js";
import { DEFAULT_PARAMS } from "../../src/core/index.js";
import { truePairRate } from "../../src/localnet/expectations.js";
import { PAIR_RATE_TABLE, scenarioRisk } from "../../src/localnet/run.js";
import { loadScenario } from "../../src/localnet/scenario.js";

const defaultFile = fileURLToPath(new URL("../../localnet/scenarios/default.json", import.meta.url));

describe("the pair-rate table", () => {
  const table = loadPairRateTable(PAIR_RATE_TABLE);

  it("is measured at the default threshold and re-measures exactly", () => {
    expect(table.threshold).toBe(DEFAULT_PARAMS.distThreshold);
    expect(table.nonces).toBe(10_000);
    const { description: _d, machineIds: _m, rates, ...setup } = table;
    const profiles = [...new Set(rates.flatMap((r) => [r.a, r.b]))];
    expect(measurePairRates(setup, profiles)).toEqual(rates);
  });

  it("holds every pair of the scenarios' profiles once, with the rates the issue measured by collect", () => {
    expect(table.rates).toHaveLength(21);
    // B200 against another B200 machine is the worst honest pair; the H class the best FP8 one.
    expect(tablePairRate(table, "b200-fp8", "b200-fp8")).toBe(0.0568);
    expect(tablePairRate(table, "h100-fp8", "b200-fp8")).toBe(0.0405);
    expect(tablePairRate(table, "b200-fp8", "a100-fp8")).toBe(0.0406);
    expect(tablePairRate(table, "h100-fp8", "h100-fp8")).toBe(0.0206);
    expect(tablePairRate(table, "int4", "h100-fp8")!).toBeGreaterThan(0.7);
    expect(tablePairRate(table, "h100-fp8", "nope")).toBeUndefined();
  });

  it("a shorter run gives counts that a re-run reproduces and that stay below the full run's", () => {
    const { description: _d, machineIds: _m, rates: _r, ...setup } = table;
    const short = { ...setup, nonces: 500 };
    const once = measurePairRates(short, ["b200-fp8", "h100-fp8"]);
    expect(measurePairRates(short, ["h100-fp8", "b200-fp8"])).toEqual(once);
    for (const e of once)
      expect(e.mismatches).toBeLessThanOrEqual(table.rates.find((r) => r.a === e.a && r.b === e.b)!.mismatches);
  });

  it("refuses a malformed table naming the field", () => {
    expect(() => parsePairRateTable({ ...table, nonces: 0 }, "t.json")).toThrow(/^t\.json: nonces: /);
    expect(() =>
      parsePairRateTable({ ...table, rates: [{ a: "x", b: "y", mismatches: 1, rate: 2 }] }, "t.json"),
    ).toThrow(/rates\.0\.rate/);
  });
});

describe("the localnet risk with the table", () => {
  it("uses each validator's measured rate, 0 on the same machine, and the scenario's pairRates first", async () => {
    const s = await loadScenario(defaultFile);
    const t = { rates: loadPairRateTable(PAIR_RATE_TABLE), threshold: 0.173663 };
    expect(truePairRate(s, t, "v1-b200", "p-b200")).toBe(0.0568);
    expect(truePairRate(s, t, "v0-h100", "p-h100")).toBe(0.0206);
    expect(truePairRate(s, t, "v0-h100", "v0-h100")).toBe(0);
    // Measured at another threshold: the table says nothing.
    expect(truePairRate(s, { ...t, threshold: 0.2 }, "v1-b200", "p-b200")).toBeUndefined();
    const listed = { ...s, pairRates: [{ a: "b200-fp8", b: "b200-fp8", rate: 0.03 }] };
    expect(truePairRate(listed, t, "v1-b200", "p-b200")).toBe(0.03);
  });

  it("the default scenario's true figure stays at or below its limit, the B200 participant carrying it", async () => {
    const s = await loadScenario(defaultFile);
    const { any, risks } = scenarioRisk(s);
    expect(any).toBeLessThanOrEqual(s.maxWrongVerdictProbability);
    expect(any).toBeCloseTo(6.925e-8, 10);
    const worst = [...risks].sort((a, b) => b.probability - a.probability)[0]!;
    expect(worst.participant).toBe("honest-b200");
  });
});
