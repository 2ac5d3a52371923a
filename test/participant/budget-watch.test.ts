// The agent's rate limiter against the chain's live proof_request_budget: the comparison and its
// log lines, then a real agent on anvil reading the contract's params at start and at a stage
// after governance changes them.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { HDNodeWallet, JsonRpcProvider, Mnemonic } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReferenceBackend } from "../../src/backend/index.js";
import { defaultParams } from "../../src/core/index.js";
import { deployPocvalTally, type PocvalTally, type RunningAnvil, startAnvil } from "../../src/evm/index.js";
import { createBudgetWatch } from "../../src/participant/budget-watch.js";
import { parseParticipantConfig, type RunningParticipant, startParticipant } from "../../src/participant/index.js";
import { until } from "../sidecar/integration-helpers.js";
import { tempDir } from "./helpers.js";

type Line = { event: string; fields: Record<string, unknown> };
const recorder = () => {
  const lines: Line[] = [];
  return { lines, log: (event: string, fields: Record<string, unknown> = {}) => lines.push({ event, fields }) };
};
const params = (proofRequestBudget: number) => ({ proofRequestBudget, proofResponseMs: 0 });

describe("createBudgetWatch", () => {
  it("logs an error naming the capacity and the live budget when the burst cannot serve it, once per budget", () => {
    const { lines, log } = recorder();
    const watch = createBudgetWatch(20, log);
    expect(watch.status()).toBeUndefined();
    watch.observe(params(0)); // 0 reads as the default 8
    expect(lines).toEqual([]);
    expect(watch.status()).toEqual({ capacity: 20, proofRequestBudget: 8 });
    watch.observe(params(50));
    watch.observe(params(50));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      event: "rate_limit_below_budget",
      fields: { level: "error", capacity: 20, proof_request_budget: 50 },
    });
    expect(String(lines[0]!.fields.error)).toMatch(/capacity 20 is below the chain's proof_request_budget 50/);
    expect(watch.status()?.shortfall).toMatch(/set capacity to at least 50/);
    watch.observe(params(60));
    expect(lines.map((l) => [l.event, l.fields.proof_request_budget])).toEqual([
      ["rate_limit_below_budget", 50],
      ["rate_limit_below_budget", 60],
    ]);
    watch.observe(params(20)); // capacity equal to the budget serves it
    expect(lines.at(-1)).toMatchObject({ event: "rate_limit_serves_budget", fields: { proof_request_budget: 20 } });
    expect(watch.status()).toEqual({ capacity: 20, proofRequestBudget: 20 });
  });

  it("warns on params outside the chain's bounds and keeps the last comparison", () => {
    const { lines, log } = recorder();
    const watch = createBudgetWatch(20, log);
    watch.observe(params(10));
    watch.observe(params(5000));
    expect(lines.map((l) => l.event)).toEqual(["chain_params_invalid"]);
    expect(watch.status()?.proofRequestBudget).toBe(10);
  });
});

describe("the agent on anvil", () => {
  const TIMING = { stageLength: 20n, stageOffset: 0n, commitWindow: 5n, validationWindow: 5n };
  const temp = tempDir();
  let anvil: RunningAnvil;
  let provider: JsonRpcProvider;
  let tally: PocvalTally;
  let backend: Awaited<ReturnType<typeof startReferenceBackend>>;
  let agent: RunningParticipant | undefined;

  beforeAll(async () => {
    anvil = await startAnvil({ accounts: 3 });
    provider = new JsonRpcProvider(anvil.rpcUrl, undefined, {
      staticNetwork: true,
      pollingInterval: 20,
      cacheTimeout: -1,
    });
    const governance = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(anvil.mnemonic), "m/44'/60'/0'/0/1").connect(
      provider,
    );
    tally = await deployPocvalTally(governance, { timing: TIMING });
    await tally.setParams({ ...defaultParams(), sampleSize: 10, proofRequestBudget: 30 });
    await tally.setStakes([{ validator: governance.address, stake: 5n }]);
    backend = await startReferenceBackend({ profile: "h100-fp8" });
  }, 120_000);

  afterAll(async () => {
    await agent?.stop();
    await backend?.stop();
    provider?.destroy();
    await anvil?.stop();
    temp.remove();
  });

  it("reads the live budget at start and again at a stage after governance lowers it", async () => {
    const { lines, log } = recorder();
    const dataDir = join(temp.dir, "agent");
    mkdirSync(dataDir, { recursive: true });
    const config = parseParticipantConfig({
      chain: { kind: "evm", rpcUrl: anvil.rpcUrl, contract: tally.address },
      node: { pollIntervalMs: 20 },
      key: { mnemonicEnv: "BUDGET_WATCH_MNEMONIC" },
      backend: { url: backend.url },
      dataDir,
      generation: { maxNonces: 100, batchSize: 50 },
      proofApi: { rateLimit: { capacity: 20 } },
    });
    agent = await startParticipant(config, { log, env: { BUDGET_WATCH_MNEMONIC: anvil.mnemonic } });
    await until("the shortfall line", () => lines.find((l) => l.event === "rate_limit_below_budget"), 30_000);
    expect(lines.find((l) => l.event === "rate_limit_below_budget")?.fields).toMatchObject({
      level: "error",
      capacity: 20,
      proof_request_budget: 30,
    });
    expect(agent.progress().budget).toMatchObject({ capacity: 20, proofRequestBudget: 30 });
    await tally.setParams({ ...defaultParams(), sampleSize: 10, proofRequestBudget: 12 });
    const now = BigInt(await provider.getBlockNumber());
    const stage = (now / TIMING.stageLength + 1n) * TIMING.stageLength;
    await provider.send("anvil_mine", [`0x${(stage + 1n - now).toString(16)}`]);
    await until("the resolved line", () => lines.find((l) => l.event === "rate_limit_serves_budget"), 30_000);
    expect(agent.progress().budget).toEqual({ capacity: 20, proofRequestBudget: 12 });
  }, 120_000);
});
