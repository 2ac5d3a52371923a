import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../cli/helpers.js";

// The default scenario's parts, smaller (three validators, one participant of each kind) and with a
// longer validation window, so that the run keeps its verdicts on a machine busy with other tests:
// anvil mines on the wall clock, whatever the load. The availability params are the defaults
// (8 requests, 30 s each): the rate-limit participant (429, Retry-After 60) is convicted only because
// each wait is capped so that the budget fits before the check's deadline (docs/protocol.md
// "Availability"); with 30 s waits the window would close first and the validators would abstain.
const scenario = {
  name: "evm-small",
  blockTimeMs: 500,
  stages: 1,
  timing: { stageLength: 60, stageOffset: 0, commitWindow: 12, validationWindow: 40 },
  params: { alpha: "0.00001" },
  machines: [
    { name: "v0-h100", profile: "h100-fp8" },
    { name: "v1-b200", profile: "b200-fp8" },
    { name: "v2-a100", profile: "a100-fp8" },
    { name: "p-h100", profile: "h100-fp8" },
    { name: "p-int4", profile: "int4" },
    { name: "p-a100", profile: "a100-fp8" },
    { name: "p-b200", profile: "b200-fp8" },
  ],
  validators: [
    { name: "validator-0", stake: 500000, machine: "v0-h100" },
    { name: "validator-1", stake: 300000, machine: "v1-b200" },
    { name: "validator-2", stake: 200000, machine: "v2-a100" },
  ],
  participants: [
    {
      name: "honest-h100",
      machine: "p-h100",
      strategy: "honest",
      nonces: 2000,
      expect: { verdict: "HONEST" },
      assumedMismatchRate: 0.025,
    },
    {
      name: "cheat-int4",
      machine: "p-int4",
      strategy: "int4",
      nonces: 2000,
      expect: { verdict: "CHEATER", reasons: ["STAT_TEST"] },
      assumedMismatchRate: 0.5,
    },
    {
      name: "cheat-withhold",
      machine: "p-a100",
      strategy: "withhold",
      nonces: 2000,
      expect: { verdict: "CHEATER", reasons: ["UNAVAILABLE"] },
    },
    {
      name: "cheat-rate-limit",
      machine: "p-b200",
      strategy: "rate-limit",
      nonces: 1000,
      expect: { verdict: "CHEATER", reasons: ["UNAVAILABLE"] },
    },
  ],
};
const dir = mkdtempSync(join(tmpdir(), "pocval-evm-scenario-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("pocval localnet run --chain evm (on anvil, end to end)", () => {
  it("runs a whole stage on the PocvalTally contract and every verdict is the scenario's expectation", () => {
    const file = join(dir, "evm-small.json");
    writeFileSync(file, JSON.stringify(scenario));
    // Real processes on loopback: anvil, participants and sidecars on EVM; reference backends in the runner.
    const r = runCli(["localnet", "run", "--chain", "evm", "--scenario", file, "--json"], { timeoutMs: 280_000 });
    if (r.status !== 0) console.error(r.stderr.split("\n").slice(-40).join("\n"));
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ expectations_met: true, chain: "evm", engine: "anvil" });
    expect(out.contract.address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    const [stage] = out.stages;
    const byName = Object.fromEntries(stage.tallies.map((t: { name: string }) => [t.name, t]));
    expect(byName["honest-h100"]).toMatchObject({ convicted: false, count: 2000 });
    // Cleared once at least half the stake says honest: the run ends when every tally is decided.
    expect(byName["honest-h100"].honest_share).toBeGreaterThanOrEqual(0.5);
    for (const t of stage.tallies) expect(t.decided_height).toBeGreaterThan(stage.stage_height);
    expect(byName["cheat-int4"]).toMatchObject({ convicted: true, reasons: ["STAT_TEST"] });
    expect(byName["cheat-withhold"]).toMatchObject({ convicted: true, reasons: ["UNAVAILABLE"] });
    expect(byName["cheat-rate-limit"]).toMatchObject({ convicted: true, reasons: ["UNAVAILABLE"] });
    // Addresses are the validators' and participants' EVM accounts (checksummed), tallies read from the contract.
    for (const t of stage.tallies) expect(t.participant).toMatch(/^0x[0-9a-fA-F]{40}$/);
    // Slots are off: no slot counts, as the module reports them (the contract counts a slot per vote).
    for (const t of stage.tallies) expect([t.slots, t.cheater_slots, t.honest_slots]).toEqual([0, 0, 0]);
    expect(out.validators.map((v: { stake_share: number }) => v.stake_share)).toEqual([0.5, 0.3, 0.2]);
    // Every vote the report shows came in a mined transaction whose gas the run read back.
    const votes = out.validators.reduce((n: number, v: { votes: unknown[] }) => n + v.votes.length, 0);
    expect(votes).toBeGreaterThanOrEqual(3);
    // The gas is read after the votes: it covers every vote shown (and any mined in between).
    expect(out.vote_gas.reduce((n: number, b: { votes: number }) => n + b.votes, 0)).toBeGreaterThanOrEqual(votes);
    for (const b of out.vote_gas) expect(b.gas_used).toBeGreaterThan(21_000);
    const processes = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" });
    expect(processes.split("\n").filter((line) => line.includes(out.run_dir))).toEqual([]);
    expect(existsSync(out.run_dir)).toBe(false);
  }, 300_000);

  it("with validation slots, only the holders vote and the contract tallies by slots", () => {
    // Version 2 on the contract: 5 validators, 2 slots per participant drawn by stake; Hopper
    // machines all alike, so the honest participant mismatches nowhere and the int4 one everywhere.
    const slots = {
      ...scenario,
      name: "evm-slots",
      params: { alpha: "0.001", validationSlots: 2 },
      machines: [
        { name: "v-h100", profile: "h100-fp8", machineId: "0" },
        { name: "p-h100", profile: "h100-fp8", machineId: "0" },
        { name: "p-int4", profile: "h100-int4", machineId: "0" },
      ],
      validators: [400000, 250000, 150000, 120000, 80000].map((stake, i) => ({
        name: `validator-${i}`,
        stake,
        machine: "v-h100",
      })),
      participants: [
        { ...scenario.participants[0], machine: "p-h100", assumedMismatchRate: 0.001 },
        { ...scenario.participants[1], machine: "p-int4" },
      ],
    };
    const file = join(dir, "evm-slots.json");
    writeFileSync(file, JSON.stringify(slots));
    const r = runCli(["localnet", "run", "--chain", "evm", "--scenario", file, "--json"], { timeoutMs: 280_000 });
    if (r.status !== 0) console.error(r.stderr.split("\n").slice(-40).join("\n"));
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ expectations_met: true, chain: "evm" });
    const byName = Object.fromEntries(out.stages[0].tallies.map((t: { name: string }) => [t.name, t]));
    // Decided as soon as one of the 2 slots says honest (convicting needs both); no slot says otherwise.
    expect(byName["honest-h100"]).toMatchObject({ convicted: false, slots: 2, cheater_slots: 0 });
    expect(byName["honest-h100"].honest_slots).toBeGreaterThanOrEqual(1);
    expect(byName["cheat-int4"]).toMatchObject({ convicted: true, slots: 2, cheater_slots: 2, honest_slots: 0 });
    // At most one vote per slot: 5 validators checking everyone would have cast 5 votes a participant.
    const votesOn = (name: string) =>
      out.validators
        .flatMap((v: { votes: { participant: string }[] }) => v.votes)
        .filter((v: { participant: string }) => v.participant === name).length;
    for (const name of ["honest-h100", "cheat-int4"]) {
      expect(votesOn(name)).toBeGreaterThanOrEqual(1);
      expect(votesOn(name)).toBeLessThanOrEqual(2);
      expect(byName[name].recomputes).toBeLessThanOrEqual(2 * 200);
      expect(byName[name].recomputes_all_validators).toBe(5 * 200);
    }
  }, 300_000);

  it("refuses an --engine with --chain evm, naming both", () => {
    const r = runCli(["localnet", "run", "--chain", "evm", "--engine", "cometbft"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--engine cometbft does not apply to --chain evm/);
    const bad = runCli(["localnet", "run", "--chain", "solana"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--chain must be one of cosmos, evm, got "solana"/);
  });
});
