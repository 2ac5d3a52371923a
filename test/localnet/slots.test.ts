// localnet/scenarios/slots.json: validation slots with curtailed checks, end to end, and the same
// scenario with curtailment off (check.curtail: false) for comparison.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it, onTestFinished } from "vitest";
import { criticalCountFor, statTestContradiction } from "../../src/core/index.js";
import { loadScenario, scenarioRisk } from "../../src/localnet/index.js";
import { runCli } from "../cli/helpers.js";

const file = fileURLToPath(new URL("../../localnet/scenarios/slots.json", import.meta.url));

interface Tally {
  name: string;
  convicted: boolean;
  reasons: string[];
  met: boolean;
  slots: number;
  cheater_slots: number;
  honest_slots: number;
  recomputes: number;
  recomputes_all_validators: number;
}
interface VoteRow {
  participant: string;
  verdict: string;
  reason: string;
  checked: number;
  mismatches: number;
  p_value: string;
}

function run(scenarioFile: string) {
  const r = runCli(["localnet", "run", "--scenario", scenarioFile, "--json"], { timeoutMs: 280_000 });
  if (r.status !== 0) console.error(r.stderr.split("\n").slice(-40).join("\n"));
  expect(r.status).toBe(0);
  const out = JSON.parse(r.stdout);
  const tallies = Object.fromEntries((out.stages[0].tallies as Tally[]).map((t) => [t.name, t]));
  const votes = (out.validators as { votes: VoteRow[] }[]).flatMap((v) => v.votes);
  return { out, tallies, votes };
}

const HONEST = ["honest-h100", "honest-h200"];
const CHEATERS = ["cheat-int4", "cheat-partial"];

describe("localnet/scenarios/slots.json", () => {
  it("prints the wrong-verdict probability of the slot tally (exact multinomial), not of the stake tally", async () => {
    const s = await loadScenario(file);
    expect(s.params.validationSlots).toBe(3);
    expect(s.validators).toHaveLength(10);
    const { any, risks } = scenarioRisk(s);
    const byName = new Map(risks.map((r) => [r.participant, r.probability]));
    // Python: per validator, miss = scipy binom.cdf(11, 200, 0.18) (k_crit 12); P[not convicted]
    // summed in fractions over the 10^3 ordered slot draws by stake and each distinct holder's vote.
    expect(Math.abs(byName.get("cheat-partial")! - 5.833610351414462e-8) / 5.8e-8).toBeLessThan(1e-7);
    expect(byName.get("honest-h100")).toBe(0);
    expect(any).toBeLessThan(1e-6);
  });

  it("convicts every cheater and clears every honest participant with a fraction of the recomputes; curtail:false gives the same verdicts", () => {
    const curtailed = run(file);
    expect(curtailed.out.expectations_met).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), "pocval-slots-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const fullFile = join(dir, "slots-full.json");
    writeFileSync(fullFile, JSON.stringify({ ...JSON.parse(readFileSync(file, "utf8")), check: { curtail: false } }));
    const full = run(fullFile);
    expect(full.out.expectations_met).toBe(true);
    const k = criticalCountFor(200, { fpRate: "0.02", alpha: "0.001" });
    for (const { tallies, votes } of [curtailed, full]) {
      for (const name of HONEST) expect(tallies[name]).toMatchObject({ convicted: false, slots: 3, cheater_slots: 0 });
      for (const name of CHEATERS) expect(tallies[name]).toMatchObject({ convicted: true, reasons: ["STAT_TEST"] });
      // Every vote is the expected verdict and its numbers agree with it (the chain checked that too).
      for (const v of votes) {
        expect(v.verdict).toBe(HONEST.includes(v.participant) ? "HONEST" : "CHEATER");
        expect(statTestContradiction({ ...v, verdict: v.verdict === "CHEATER" ? 2 : 1 }, 200, k)).toBeUndefined();
      }
    }
    // Curtailed, a cheater's holders stop after a few chunks; without curtailment each checks 200.
    for (const v of full.votes) expect(v.checked).toBe(200);
    for (const v of curtailed.votes) {
      if (CHEATERS.includes(v.participant)) expect(v.checked).toBeLessThan(200);
      expect(v.checked % 20 === 0 || v.checked === 200).toBe(true);
    }
    for (const t of Object.values(curtailed.tallies)) {
      expect(t.recomputes_all_validators).toBe(2000);
      // At most 3 holders, each at most 200 leaves: well under 10 validators x 200.
      expect(t.recomputes).toBeLessThanOrEqual(600);
      expect(t.recomputes).toBe(
        curtailed.votes.filter((v) => v.participant === t.name).reduce((s, v) => s + v.checked, 0),
      );
    }
  }, 600_000);
});
