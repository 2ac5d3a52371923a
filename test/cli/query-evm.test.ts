import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness, talliedStage } from "../evm/harness.js";
import { runCliAsync } from "./helpers.js";

// `pocval query tally|tallies --evm-rpc URL --contract ADDR`: the governance view read from a
// PocvalTally on a real anvil, in the same shapes as on Cosmos.
const TIMING = { stageLength: 20n, stageOffset: 0n, commitWindow: 3n, validationWindow: 3n };
let h: Harness;
let stage: bigint;

beforeAll(async () => {
  h = await startHarness(5, TIMING);
  stage = await talliedStage(h);
}, 120_000);

afterAll(async () => {
  await h?.close();
});

describe("pocval query --evm-rpc", () => {
  it("tallies reads every committed participant's tally from the contract", async () => {
    const args = ["--evm-rpc", h.anvil.rpcUrl, "--contract", h.tally.address, "--stage-height", String(stage)];
    const r = await runCliAsync(["query", "tallies", ...args, "--json"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const { tallies } = JSON.parse(r.stdout) as { tallies: Record<string, unknown>[] };
    expect(tallies).toEqual([
      expect.objectContaining({
        participant: h.wallets[3]!.address,
        count: "100",
        total_stake: "100",
        cheater_stake: "60",
        honest_stake: "40",
        abstain_stake: "0",
        convicted: true,
        weight: "0",
        cheater_votes: 1,
        honest_votes: 1,
      }),
      expect.objectContaining({
        participant: h.wallets[4]!.address,
        count: "70",
        cheater_stake: "0",
        honest_stake: "60",
        abstain_stake: "40",
        convicted: false,
        weight: "70",
      }),
    ]);
    const table = await runCliAsync(["query", "tallies", ...args]);
    expect(table.stdout).toMatch(new RegExp(`${h.wallets[3]!.address}\\s+100\\s+60\\.0%.*CONVICTED`));
    const one = await runCliAsync(["query", "tally", ...args, "--participant", h.wallets[4]!.address, "--json"]);
    expect(JSON.parse(one.stdout).tally).toMatchObject({ participant: h.wallets[4]!.address, convicted: false });
  }, 120_000);

  it("params reads the contract's latest params, the availability params among them, and its timing", async () => {
    const args = ["--evm-rpc", h.anvil.rpcUrl, "--contract", h.tally.address];
    const r = await runCliAsync(["query", "params", ...args, "--json"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as {
      params: Record<string, unknown>;
      timing: Record<string, unknown>;
      authority: string;
    };
    expect(out.params).toMatchObject({ sampleSize: 20, proofRequestBudget: 8, proofResponseMs: 30_000 });
    expect(out.timing).toMatchObject({ stageLength: "20", commitWindow: "3", validationWindow: "3" });
    expect(out.authority).toBe(h.wallets[0]!.address);
    const table = await runCliAsync(["query", "params", ...args]);
    expect(table.stdout).toMatch(/proof_request_budget\s+8\n/);
    expect(table.stdout).toMatch(/proof_response_ms\s+30000\n/);
  }, 120_000);

  it("names a bad contract address", async () => {
    const r = await runCliAsync([
      "query",
      "tallies",
      "--evm-rpc",
      h.anvil.rpcUrl,
      "--contract",
      "0x12",
      "--stage-height",
      "1",
    ]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/--contract must be the 0x address/);
  }, 60_000);
});
