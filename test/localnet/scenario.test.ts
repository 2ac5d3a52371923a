import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { anyWrongProbability, wrongVerdictRisks } from "../../src/localnet/expectations.js";
import { effectiveParams, scenarioRisk } from "../../src/localnet/run.js";
import { loadScenario, parseScenario, ScenarioError } from "../../src/localnet/scenario.js";

const defaultFile = fileURLToPath(new URL("../../localnet/scenarios/default.json", import.meta.url));
const scaleFile = fileURLToPath(new URL("../../localnet/scenarios/scale.json", import.meta.url));
const earlyFile = fileURLToPath(new URL("../../localnet/scenarios/early-acceptance.json", import.meta.url));

describe("localnet scenarios", () => {
  it("the default scenario: 6 validators at 35/25/15/10/10/5 %, 3 honest FP8, int4, partial:0.2, withhold, rate-limit, replay-flood", async () => {
    const s = await loadScenario(defaultFile);
    expect(s.validators.map((v) => Number(v.stake))).toEqual([350000, 250000, 150000, 100000, 100000, 50000]);
    expect(s.participants.map((p) => p.strategy)).toEqual([
      "honest",
      "honest",
      "honest",
      "int4",
      "partial:0.2",
      "withhold",
      "rate-limit",
      "replay-flood",
    ]);
    const honestProfiles = s.participants
      .filter((p) => p.strategy === "honest")
      .map((p) => s.machines.find((m) => m.name === p.machine)!.profile);
    expect(new Set(honestProfiles).size).toBe(3);
    expect(effectiveParams(s)).toMatchObject({ alpha: "0.00000000001", sampleSize: 300, distThreshold: "0.173663" });
  });

  it("its exact probability of any wrong verdict is below 1e-6", async () => {
    const s = await loadScenario(defaultFile);
    const { any, risks } = scenarioRisk(s);
    expect(any).toBeLessThan(1e-6);
    expect(any).toBeGreaterThan(0);
    // The honest B200 participant carries the risk (its B200 validators pair at 5.68%, the H100 and
    // A100 ones at about 4%: localnet/pair-rates.json), then the partial cheater's escape.
    const ranked = [...risks].sort((a, b) => b.probability - a.probability).map((r) => r.participant);
    expect(ranked.slice(0, 2)).toEqual(["honest-b200", "cheat-partial"]);
    expect(risks.find((r) => r.participant === "cheat-withhold")!.probability).toBe(0);
    expect(risks.find((r) => r.participant === "cheat-rate-limit")!.probability).toBe(0);
  });

  it("the scale scenario: 32 participants (a few of each cheat), 10 validators, slots on, 8 agents per process", async () => {
    const s = await loadScenario(scaleFile);
    expect(s.participants).toHaveLength(32);
    expect(s.validators).toHaveLength(10);
    expect(s.params.validationSlots).toBe(3);
    expect(s.participantsPerProcess).toBe(8);
    const cheats = s.participants.filter((p) => p.strategy !== "honest").map((p) => p.strategy.split(":")[0]);
    for (const kind of ["int4", "partial", "random", "withhold", "wrong-proof", "bad-nonce"]) {
      expect(cheats.filter((c) => c === kind)).toHaveLength(2);
    }
    expect(scenarioRisk(s).any).toBeLessThan(1e-6);
    // One process per participant unless a scenario says otherwise.
    expect((await loadScenario(defaultFile)).participantsPerProcess).toBe(1);
  });

  it("at the report's alpha = 0.05 the same network would often convict an honest participant", async () => {
    const s = await loadScenario(defaultFile);
    const risks = wrongVerdictRisks(s, { sampleSize: 200, fpRate: 0.02, alpha: 0.05, quorum: 0.5 });
    expect(risks[0]!.per_validator).toBeGreaterThan(0.05);
    expect(anyWrongProbability(risks)).toBeGreaterThan(1e-3);
  });

  it("names every field at fault", () => {
    const bad = {
      name: "x",
      timing: { stageLength: 10, stageOffset: 12, commitWindow: 5, validationWindow: 5 },
      machines: [{ name: "m", profile: "h100-fp8" }],
      validators: [{ name: "v", stake: 0, machine: "m" }],
      participants: [{ name: "v", machine: "nope", nonces: 10, expect: { verdict: "MAYBE" } }],
    };
    let message = "";
    try {
      parseScenario(bad, "bad.json");
    } catch (err) {
      expect(err).toBeInstanceOf(ScenarioError);
      message = (err as Error).message;
    }
    expect(message).toMatch(/^bad\.json: /);
    expect(message).toMatch(/validators\.0\.stake/);
    expect(message).toMatch(/participants\.0\.expect\.verdict/);
  });

  it("refuses windows that do not fit in a stage, unknown machines and duplicate names", () => {
    const base = {
      name: "x",
      timing: { stageLength: 10, stageOffset: 0, commitWindow: 5, validationWindow: 5 },
      machines: [{ name: "m", profile: "h100-fp8" }],
      validators: [{ name: "v", stake: 1, machine: "m" }],
      participants: [{ name: "v", machine: "nope", nonces: 10, expect: { verdict: "HONEST" } }],
    };
    expect(() => parseScenario(base, "s")).toThrow(/timing: commitWindow \+ 1 \+ validationWindow/);
    expect(() => parseScenario(base, "s")).toThrow(/participants\.0\.machine: no machine "nope"/);
    expect(() => parseScenario(base, "s")).toThrow(/participants\.0\.name: duplicate name "v"/);
  });

  it("refuses a validator strategy that names no strategy or no participant, naming the field", () => {
    const base = (strategy: string) => ({
      name: "x",
      timing: { stageLength: 20, stageOffset: 0, commitWindow: 5, validationWindow: 5 },
      machines: [{ name: "m", profile: "h100-fp8" }],
      validators: [{ name: "v", stake: 1, machine: "m", strategy }],
      participants: [{ name: "p", machine: "m", nonces: 10, expect: { verdict: "HONEST" } }],
    });
    expect(() => parseScenario(base("greedy"), "s")).toThrow(/validators\.0\.strategy: unknown strategy "greedy"/);
    expect(() => parseScenario(base("frame:p,shield:nobody"), "s")).toThrow(
      /validators\.0\.strategy: no participant "nobody"/,
    );
    for (const ok of ["honest", "offline", "lazy", "frame:p", "frame:p,shield:p"]) {
      expect(parseScenario(base(ok), "s").validators[0]!.strategy).toBe(ok);
    }
  });

  it("takes an optional acceptanceRate below fpRate into the chain params, and says what is wrong above it", () => {
    const base = (params: Record<string, string>) => ({
      name: "x",
      timing: { stageLength: 20, stageOffset: 0, commitWindow: 5, validationWindow: 5 },
      params,
      machines: [{ name: "m", profile: "h100-fp8" }],
      validators: [{ name: "v", stake: 1, machine: "m" }],
      participants: [{ name: "p", machine: "m", nonces: 10, expect: { verdict: "HONEST" } }],
    });
    expect(effectiveParams(parseScenario(base({ acceptanceRate: "0.015" }), "s")).acceptanceRate).toBe("0.015");
    expect(effectiveParams(parseScenario(base({}), "s")).acceptanceRate).toBe("");
    expect(() => parseScenario(base({ acceptanceRate: "0.02" }), "s")).toThrow(
      /params\.acceptanceRate: 0\.02 is not below fpRate 0\.02/,
    );
    expect(() => parseScenario(base({ acceptanceRate: "0.03", fpRate: "0.05" }), "s")).not.toThrow();
  });

  it("the early-acceptance scenario is the default one with acceptance_rate 0.0199 and chunks of 40", async () => {
    const [early, base] = await Promise.all([loadScenario(earlyFile), loadScenario(defaultFile)]);
    expect(effectiveParams(early)).toEqual({ ...effectiveParams(base), acceptanceRate: "0.0199" });
    expect(early.check).toEqual({ chunkSize: 40 });
    expect({ ...early, name: base.name, description: base.description, params: base.params, check: undefined }).toEqual(
      { ...base, check: undefined },
    );
  });

  it("its printed risk counts early acceptance: the partial cheater escapes with the chunked DP's figure", async () => {
    const early = await loadScenario(earlyFile);
    const risk = (s: typeof early) =>
      Object.fromEntries(scenarioRisk(s).risks.map((r) => [r.participant, r.probability]));
    const on = risk(early);
    const off = risk({ ...early, params: { ...early.params, acceptanceRate: undefined } });
    const full = risk({ ...early, check: { chunkSize: 40, curtail: false } });
    // 1 - P[conviction] at q = earlyCheck(300, 29, 40, a(c) = floor(0.0199 c), 0.18).pCheater = 0.99962
    expect(on["cheat-partial"]).toBeCloseTo(2.839e-7, 9);
    expect(off["cheat-partial"]).toBeLessThan(1e-9);
    // A sidecar that does not curtail never stops early: version 2's figure.
    expect(full["cheat-partial"]).toBe(off["cheat-partial"]);
    // Honest participants are convicted less often, never more.
    expect(on["honest-b200"]).toBeLessThanOrEqual(off["honest-b200"]!);
    expect(scenarioRisk(early).any).toBeLessThan(early.maxWrongVerdictProbability);
  });
});
