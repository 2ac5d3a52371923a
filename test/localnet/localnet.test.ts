import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it, onTestFinished } from "vitest";
import { runCli } from "../cli/helpers.js";

describe("pocval localnet run (default scenario, end to end)", () => {
  it("runs a whole stage and every verdict is the scenario's expectation", () => {
    // Real processes on loopback: node, participants and sidecars; reference backends in the runner.
    const r = runCli(["localnet", "run", "--json"], { timeoutMs: 280_000 });
    if (r.status !== 0) console.error(r.stderr.split("\n").slice(-40).join("\n"));
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.expectations_met).toBe(true);
    expect(out.wrong_verdict_probability).toBeLessThan(1e-6);
    const [stage] = out.stages;
    const byName = Object.fromEntries(stage.tallies.map((t: { name: string }) => [t.name, t]));
    // attack-replay-flood works honestly but replays every proof request it receives to the others.
    for (const name of ["honest-h100", "honest-b200", "honest-a100", "attack-replay-flood"]) {
      expect(byName[name].convicted).toBe(false);
      expect(byName[name].count).toBeGreaterThan(0);
      // Cleared once at least half the stake says honest (decided: the run ends there).
      expect(byName[name].honest_share).toBeGreaterThanOrEqual(0.5);
      expect(byName[name].decided_height).toBeGreaterThan(0);
    }
    expect(byName["cheat-int4"]).toMatchObject({ convicted: true, reasons: ["STAT_TEST"] });
    expect(byName["cheat-partial"]).toMatchObject({ convicted: true, reasons: ["STAT_TEST"] });
    expect(byName["cheat-withhold"]).toMatchObject({ convicted: true, reasons: ["UNAVAILABLE"] });
    expect(byName["attack-replay-flood"].strategy).toBe("replay-flood");
    expect(byName["cheat-rate-limit"]).toMatchObject({ convicted: true, reasons: ["UNAVAILABLE"] });
    // Recomputes: the votes' checked summed, beside 6 validators x 300 (the scenario's sample size);
    // curtailed checks stop a cheater early.
    for (const t of stage.tallies) expect(t.recomputes_all_validators).toBe(1800);
    expect(byName["cheat-withhold"].recomputes).toBe(0);
    expect(byName["cheat-rate-limit"].recomputes).toBe(0);
    expect(byName["cheat-int4"].recomputes).toBeLessThan(1800);
    expect(byName["cheat-partial"].recomputes).toBeLessThan(1800);
    expect(out.validators).toHaveLength(6);
    expect(out.validators.map((v: { stake_share: number }) => v.stake_share)).toEqual([
      0.35, 0.25, 0.15, 0.1, 0.1, 0.05,
    ]);
    expect(r.stderr).toMatch(/every tally decided by height \d+ \(final at \d+\)/);
    // The endpoints answer only while the network runs: printed with --keep only.
    expect(out).not.toHaveProperty("endpoints");
    // Nothing is left running: no process still names the run's folder (configs and homes live there).
    const processes = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" });
    expect(processes.split("\n").filter((line) => line.includes(out.run_dir))).toEqual([]);
    // A run that met its expectations removes its folder.
    expect(existsSync(out.run_dir)).toBe(false);
  }, 300_000);

  it("refuses a malformed scenario naming the field", async () => {
    const { mkdtempSync, rmSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dir = mkdtempSync(join(tmpdir(), "pocval-scenario-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "bad.json");
    writeFileSync(
      file,
      JSON.stringify({ name: "x", timing: { stageLength: 10 }, machines: [], validators: [], participants: [] }),
    );
    const r = runCli(["localnet", "run", "--scenario", file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/timing\.stageOffset/);
    expect(r.stderr).toMatch(/machines: /);
  });
});
