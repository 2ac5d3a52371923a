import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { scenarioPairRate } from "../../src/localnet/expectations.js";
import { loadScenario, scenarioRisk } from "../../src/localnet/index.js";

const file = (name: string) => fileURLToPath(new URL(`../../localnet/scenarios/${name}`, import.meta.url));

// Expected figures: scipy binom.sf(k_crit - 1, 200, r) per validator, enumerated over the 2^6 votes
// (stakes 30/25/15/10/10/10 %, convicted iff the cheater share is above 1/2).
describe("localnet/scenarios/hardware-mix.json (worst-pair params)", () => {
  it("prints a wrong-verdict probability below 1e-6, computed from each validator's own pair rate", async () => {
    const s = await loadScenario(file("hardware-mix.json"));
    expect(s.machines.every((m) => m.machineId === "0")).toBe(true);
    // Same kernels and machine id: h100-fp8 and h200-fp8 pair at 0; the listed rate otherwise.
    expect(scenarioPairRate(s, "v-h100-a", "p-h200")).toBe(0);
    expect(scenarioPairRate(s, "v-h100-a", "p-h100")).toBe(0);
    expect(scenarioPairRate(s, "v-h200-a", "p-b200")).toBe(0.02);
    const { any, risks } = scenarioRisk(s);
    expect(any).toBeLessThan(1e-6);
    const byName = new Map(risks.map((r) => [r.participant, r]));
    expect(Math.abs(byName.get("honest-b200")!.probability - 5.595016915217504e-13) / 5.6e-13).toBeLessThan(1e-9);
    expect(Math.abs(byName.get("honest-a100")!.probability - 6.323836613766541e-23) / 6.3e-23).toBeLessThan(1e-9);
    expect(byName.get("honest-h100")!.probability).toBe(0);
  });
});

describe("localnet/scenarios/hardware-mix-pooled.json (the report's pooled params)", () => {
  it("shows the B200 participant's risk: about 0.075 per stage", async () => {
    const s = await loadScenario(file("hardware-mix-pooled.json"));
    const { any, risks } = scenarioRisk(s);
    const byName = new Map(risks.map((r) => [r.participant, r]));
    expect(Math.abs(byName.get("honest-b200")!.probability - 0.07463259778743592)).toBeLessThan(1e-12);
    expect(Math.abs(byName.get("honest-a100")!.probability - 0.0002722011883277316)).toBeLessThan(1e-12);
    expect(any).toBeGreaterThan(0.07);
    // The same B200 participant under worst-pair params: 5.6e-13.
  });
});
