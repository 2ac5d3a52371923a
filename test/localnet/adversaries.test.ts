// localnet/scenarios/adversaries.json end to end: a 30% coalition framing an honest participant and
// shielding an INT4 cheater, a lazy and an offline validator, rate-limit and stall participants;
// and its validation-slots variant, which the runner refuses with the exact probabilities.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadScenario, scenarioRisk } from "../../src/localnet/index.js";
import { runCli } from "../cli/helpers.js";

const file = fileURLToPath(new URL("../../localnet/scenarios/adversaries.json", import.meta.url));
const slotsFile = fileURLToPath(new URL("../../localnet/scenarios/adversaries-slots.json", import.meta.url));

interface Tally {
  name: string;
  convicted: boolean;
  reasons: string[];
  met: boolean;
  cheater_share: number;
}
interface ValidatorOut {
  name: string;
  votes: { participant: string; verdict: string; reason: string; checked: number; mismatches: number }[];
}

describe("localnet/scenarios/adversaries.json", () => {
  it("prints the exact wrong-verdict probability with the adversaries' votes fixed", async () => {
    const { any, risks } = scenarioRisk(await loadScenario(file));
    const byName = new Map(risks.map((r) => [r.participant, r.probability]));
    // Python (scipy): k_crit = 27 at fp_rate 0.02, alpha 1e-14; q(r) = binom.sf(26, 200, r) at each
    // validator's pair rate with the B200 participant (localnet/pair-rates.json: H100 0.0405, B200
    // 0.0568, A100 0.0406); the coalition's 30% is fixed CHEATER, so honest-framed falls iff the 25%
    // H100 validator flags, or both the 20% B200 and the 10% A100 do: q0 + (1 - q0) q1 q2.
    expect(Math.abs(byName.get("honest-framed")! - 5.20985833946963e-8) / 5.2e-8).toBeLessThan(1e-9);
    expect(byName.get("cheat-rate-limit")).toBe(0);
    expect(byName.get("cheat-stall")).toBe(0);
    expect(any).toBeLessThan(1e-6);
  });

  it("the slots variant is refused before anything starts, with each participant's exact risk", () => {
    const r = runCli(["localnet", "run", "--scenario", slotsFile], { timeoutMs: 60_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/the probability of a wrong verdict is 4\.20e-1, above its limit 0\.000001/);
    expect(r.stderr).toMatch(/cheat-int4-shielded 4\.086e-1, honest-framed 1\.923e-2/);
    expect(r.stderr).toMatch(/no sampling setting can bring it down/);
  });

  it("clears both honest participants, convicts INT4, rate-limit and stall; each adversary votes as declared", () => {
    const r = runCli(["localnet", "run", "--scenario", file, "--json"], { timeoutMs: 280_000 });
    if (r.status !== 0) console.error(r.stderr.split("\n").slice(-40).join("\n"));
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    const tallies = Object.fromEntries((out.stages[0].tallies as Tally[]).map((t) => [t.name, t]));
    expect(tallies["honest-clean"]!.convicted).toBe(false);
    expect(tallies["honest-framed"]!.convicted).toBe(false);
    expect(tallies["honest-framed"]!.cheater_share).toBeGreaterThanOrEqual(0.3);
    expect(tallies["cheat-int4-shielded"]).toMatchObject({ convicted: true, reasons: ["STAT_TEST"] });
    expect(tallies["cheat-rate-limit"]).toMatchObject({ convicted: true, reasons: ["UNAVAILABLE"] });
    expect(tallies["cheat-stall"]).toMatchObject({ convicted: true, reasons: ["UNAVAILABLE"] });
    expect(out.expectations_met).toBe(true);

    const validators = new Map((out.validators as ValidatorOut[]).map((v) => [v.name, v.votes]));
    expect(validators.get("offline-0")).toEqual([]);
    const lazy = validators.get("lazy-0")!;
    expect(lazy.length).toBe(5);
    for (const v of lazy) expect(v).toMatchObject({ verdict: "HONEST", mismatches: 0 });
    for (const name of ["coalition-0", "coalition-1"]) {
      const votes = new Map(validators.get(name)!.map((v) => [v.participant, v]));
      // k_crit(200) = 27 at alpha 1e-14: the fabricated counts are exactly the least that convict.
      expect(votes.get("honest-framed")).toMatchObject({ verdict: "CHEATER", reason: "STAT_TEST", mismatches: 27 });
      expect(votes.get("cheat-int4-shielded")).toMatchObject({ verdict: "HONEST", mismatches: 0 });
      expect(votes.get("cheat-stall")).toMatchObject({ verdict: "CHEATER", reason: "UNAVAILABLE" });
    }
  }, 300_000);
});
