import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultParams } from "../../src/chain/index.js";
import { kCritTable, paramsTuple, sortedStakes } from "../../src/evm/index.js";
import { Reason, Verdict } from "../../src/gen/pocval/v1/types.js";
import { type Harness, startHarness } from "../evm/harness.js";
import { runCliAsync } from "./helpers.js";

// `pocval query tally|tallies --evm-rpc URL --contract ADDR`: the governance view read from a
// PocvalTally on a real anvil, in the same shapes as on Cosmos.
const TIMING = { stageLength: 20n, stageOffset: 0n, commitWindow: 3n, validationWindow: 3n };
const ZERO32 = new Uint8Array(32);
let h: Harness;
let stage: bigint;

beforeAll(async () => {
  h = await startHarness(5, TIMING);
  const [gov, v1, v2, p3, p4] = h.wallets as [(typeof h.wallets)[0], ...typeof h.wallets];
  const params = { ...defaultParams(), sampleSize: 20 };
  const s = sortedStakes([
    { validator: v1!.address, stake: 60n },
    { validator: v2!.address, stake: 40n },
  ]);
  const setup = [
    h.send(gov, "setParams", paramsTuple(params), kCritTable(params)),
    h.send(gov, "setStakes", s.validators, s.stakes),
    h.send(p3!, "register", new TextEncoder().encode("k3"), "http://p3.test"),
    h.send(p4!, "register", new TextEncoder().encode("k4"), "http://p4.test"),
  ];
  await Promise.all(setup);
  await h.mine();
  stage = await h.nextStage();
  await h.mineUntil(stage - 1n);
  await Promise.all([h.send(p3!, "commit", stage, 100n, ZERO32), h.send(p4!, "commit", stage, 70n, ZERO32)]);
  await h.mine();
  await h.mineUntil(stage + TIMING.commitWindow);
  const vote = (participant: string, verdict: Verdict) => ({
    participant,
    verdict,
    reason: verdict === Verdict.VERDICT_CHEATER ? Reason.REASON_INVALID_PROOF : Reason.REASON_UNAVAILABLE,
    checked: 0,
    mismatches: 0,
    pValueE18: 0n,
    evidenceHash: ZERO32,
  });
  const hashes = await Promise.all([
    h.send(v1!, "submitVotes", stage, [
      vote(p3!.address, Verdict.VERDICT_CHEATER),
      vote(p4!.address, Verdict.VERDICT_HONEST),
    ]),
    h.send(v2!, "submitVotes", stage, [vote(p3!.address, Verdict.VERDICT_HONEST)]),
  ]);
  await h.mine();
  for (const hash of hashes) expect((await h.outcome(hash)).ok).toBe(true);
  await h.mine(5);
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
