// The dashboard reading a PocvalTally on a real anvil: its JSON API over real HTTP on 127.0.0.1
// against what `pocval query tallies --evm-rpc` reports, and the flags of `pocval dashboard --evm-rpc`.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Dashboard, startDashboard } from "../../src/dashboard/index.js";
import { runCliAsync } from "../cli/helpers.js";
import { type Harness, startHarness, talliedStage } from "../evm/harness.js";
import { ensureDashboardBuilt } from "./helpers.js";

const TIMING = { stageLength: 20n, stageOffset: 0n, commitWindow: 3n, validationWindow: 3n };
let h: Harness;
let stage: bigint;
let dashboard: Dashboard;

const get = async (path: string) => {
  const res = await fetch(new URL(path, dashboard.url));
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

beforeAll(async () => {
  ensureDashboardBuilt();
  h = await startHarness(5, TIMING);
  stage = await talliedStage(h);
  dashboard = await startDashboard({ evm: { rpcUrl: h.anvil.rpcUrl, contract: h.tally.address }, pollMs: 300 });
}, 180_000);

afterAll(async () => {
  await dashboard?.close();
  await h?.close();
}, 60_000);

describe("pocval dashboard --evm-rpc (real anvil, real HTTP)", () => {
  it("shows a finalized stage's tallies, votes and stake shares as `query tallies --evm-rpc` reports them", async () => {
    const cli = await runCliAsync(
      [
        "query",
        "tallies",
        "--evm-rpc",
        h.anvil.rpcUrl,
        "--contract",
        h.tally.address,
        "--stage-height",
        String(stage),
        "--json",
      ],
      90_000,
    );
    expect(cli.status, cli.stderr).toBe(0);
    const cliTallies = (JSON.parse(cli.stdout) as { tallies: Record<string, unknown>[] }).tallies;
    expect(cliTallies).toHaveLength(2);

    const { status, body } = await get(`/api/stages/${stage}`);
    expect(status).toBe(200);
    expect(body.stage).toMatchObject({ stage_height: String(stage), finalized: true, phase: "final" });
    const [, v1, v2, p3, p4] = h.wallets.map((w) => w.address);
    // Every field the CLI prints is on the page, equal; the page adds the cheater reasons.
    const tallies = body.tallies as Record<string, unknown>[];
    expect(tallies.map(({ reasons: _, ...t }) => t)).toEqual(
      [...cliTallies].sort((a, b) => String(a.participant).localeCompare(String(b.participant))),
    );
    expect(tallies.find((t) => t.participant === p3)).toMatchObject({
      cheater_stake: "60",
      honest_stake: "40",
      convicted: true,
      reasons: ["INVALID_PROOF"],
    });
    expect(body.total_stake).toBe("100");
    expect(body.validators).toEqual(
      expect.arrayContaining([
        { address: v1, stake: "60", share: 0.6 },
        { address: v2, stake: "40", share: 0.4 },
      ]),
    );
    const votes = body.votes as Record<string, unknown>[];
    expect(votes).toHaveLength(3);
    expect(votes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ validator: v1, participant: p3, verdict: "CHEATER", against_final: false }),
        expect.objectContaining({ validator: v1, participant: p4, verdict: "HONEST", against_final: false }),
        expect.objectContaining({ validator: v2, participant: p3, verdict: "HONEST", against_final: true }),
      ]),
    );
    expect(body.participants).toEqual([p3, p4].sort());
  }, 120_000);

  it("shows the overview and the live state from the contract", async () => {
    const { status, body } = await get("/api/overview");
    expect(status).toBe(200);
    expect(body.current_height).toBe(String(await h.blockNumber()));
    expect(body.timing).toEqual({ stage_length: "20", stage_offset: "0", commit_window: "3", validation_window: "3" });
    expect(body.stages).toEqual(expect.arrayContaining([expect.objectContaining({ stage_height: String(stage) })]));
    const state = await get("/api/state");
    expect(state.body.up).toBe(true);
  }, 60_000);

  it("shows a participant's and a validator's history, addresses checksummed", async () => {
    const p3 = h.wallets[3]!.address;
    const { status, body } = await get(`/api/participants/${p3.toLowerCase()}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ participant: p3, proof_api_url: "http://p3.test" });
    expect(body.stages).toEqual([
      expect.objectContaining({ stage_height: String(stage), convicted: true, count: "100" }),
    ]);
    const v2 = h.wallets[2]!.address;
    const validator = await get(`/api/validators/${v2}`);
    expect(validator.status).toBe(200);
    expect(validator.body).toMatchObject({ validator: v2, votes_cast: 1, against_final: 1, abstentions: 1 });
  }, 60_000);

  it("answers 404 for an unknown stage, participant or validator and 400 for a bech32 address", async () => {
    const later = (await h.blockNumber()) + 10n * TIMING.stageLength;
    expect((await get(`/api/stages/${later}`)).status).toBe(404);
    expect((await get(`/api/stages/${stage + 1n}`)).status).toBe(404); // not a stage start
    expect((await get(`/api/participants/${h.wallets[0]!.address}`)).status).toBe(404);
    expect((await get(`/api/validators/${h.wallets[4]!.address}`)).status).toBe(404);
    const bech32 = await get(`/api/participants/pocval1${"q".repeat(38)}`);
    expect(bech32.status).toBe(400);
    expect(bech32.body.error).toMatch(/0x address/);
  }, 60_000);

  it("refuses to start on an address without the contract", async () => {
    await expect(
      startDashboard({ evm: { rpcUrl: h.anvil.rpcUrl, contract: h.wallets[1]!.address }, port: 0 }),
    ).rejects.toThrow(/no PocvalTally at 0x[0-9a-fA-F]{40}.*no contract code/);
  }, 60_000);

  it("starts while the EVM node is down and answers 503 naming it (the page's banner)", async () => {
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const down = await startDashboard({
      evm: { rpcUrl: `http://127.0.0.1:${port}`, contract: h.tally.address },
      pollMs: 60_000,
    });
    try {
      const state = (await (await fetch(new URL("/api/state", down.url))).json()) as Record<string, unknown>;
      expect(state).toMatchObject({ up: false, overview: null });
      expect(state.error).toMatch(new RegExp(`EVM node http://127\\.0\\.0\\.1:${port}`));
      const overview = await fetch(new URL("/api/overview", down.url));
      expect(overview.status).toBe(503);
      expect(((await overview.json()) as { error: string }).error).toMatch(/ECONNREFUSED|unreachable|connect/i);
    } finally {
      await down.close();
    }
  }, 60_000);

  it("`pocval dashboard` names bad flag combinations with exit 2", async () => {
    const cases: [string[], RegExp][] = [
      [["--evm-rpc", h.anvil.rpcUrl, "--contract", "0x12"], /--contract must be the 0x address/],
      [["--evm-rpc", h.anvil.rpcUrl], /--evm-rpc needs --contract/],
      [["--node", "http://127.0.0.1:26657", "--evm-rpc", h.anvil.rpcUrl], /either --node or --evm-rpc/],
      [["--contract", h.tally.address], /--contract goes with --evm-rpc/],
      [[], /give --node URL .* or --evm-rpc URL --contract ADDR/],
    ];
    for (const [args, message] of cases) {
      const r = await runCliAsync(["dashboard", ...args, "--port", "0"]);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    const wrong = await runCliAsync([
      "dashboard",
      "--evm-rpc",
      h.anvil.rpcUrl,
      "--contract",
      h.wallets[1]!.address,
      "--port",
      "0",
    ]);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/no PocvalTally at/);
  }, 120_000);
});
