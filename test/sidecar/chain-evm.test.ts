// The sidecar's EVM chain on a real anvil: reads in lower-case addresses, vote batches through the
// shared journal and submitter (hash journaled before the broadcast, gas used reported), a batch
// that reverts at estimation sends nothing, a batch not mined in time is settled by reading the
// chain's votes, and block following over eth_subscribe.
import { join } from "node:path";
import { HDNodeWallet, JsonRpcProvider, Mnemonic, Wallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultParams, toHex } from "../../src/core/index.js";
import { deployPocvalTally, type PocvalTally, type RunningAnvil, startAnvil } from "../../src/evm/index.js";
import { Reason, Verdict, type Vote } from "../../src/gen/pocval/v1/types.js";
import type { SidecarChain } from "../../src/sidecar/chain.js";
import { connectEvmSidecarChain } from "../../src/sidecar/chain-evm.js";
import { createLogger, createMetrics, type Journal, openJournal } from "../../src/sidecar/index.js";
import { loadValidatorKey } from "../../src/sidecar/keys.js";
import { createVoteSubmitter } from "../../src/sidecar/votes.js";
import { collectLines, tempDir, until } from "./integration-helpers.js";

const TIMING = { stageLength: 40n, stageOffset: 0n, commitWindow: 4n, validationWindow: 30n };
const temp = tempDir();
let anvil: RunningAnvil;
let provider: JsonRpcProvider;
let wallets: HDNodeWallet[];
let tally: PocvalTally;
let chain: SidecarChain;
let journal: Journal;
let stage: bigint;
let me: string;

const lower = (w: HDNodeWallet) => w.address.toLowerCase();
const mineTo = async (height: bigint) => {
  const now = BigInt(await provider.getBlockNumber());
  if (height > now) await provider.send("anvil_mine", [`0x${(height - now).toString(16)}`]);
};
const vote = (participant: string, verdict: Verdict): Vote => ({
  participant,
  verdict,
  reason: Reason.REASON_STAT_TEST,
  checked: 20,
  mismatches: verdict === Verdict.VERDICT_CHEATER ? 10 : 0,
  pValue: verdict === Verdict.VERDICT_CHEATER ? "0.000000001" : "1",
  evidenceHash: new Uint8Array(32).fill(5),
});

/** The submitter's vote settings of these tests: one try, simulated gas, the given inclusion wait. */
const voteOptions = (inclusionTimeoutMs: number) => ({
  batchSize: 100,
  gasPrice: "0.025upoc",
  baseGas: 1,
  gasPerVote: 1,
  gasRetryFactor: 2,
  simulate: true,
  gasAdjustment: 1.3,
  inclusionTimeoutMs,
  retry: { attempts: 1, baseDelayMs: 10, maxDelayMs: 50 },
});

beforeAll(async () => {
  anvil = await startAnvil({ accounts: 6 });
  provider = new JsonRpcProvider(anvil.rpcUrl, undefined, {
    staticNetwork: true,
    pollingInterval: 20,
    cacheTimeout: -1,
  });
  const m = Mnemonic.fromPhrase(anvil.mnemonic);
  wallets = [0, 1, 2, 3, 4, 5].map((i) => HDNodeWallet.fromMnemonic(m, `m/44'/60'/0'/0/${i}`).connect(provider));
  // The validator is the mnemonic's first EVM account (also governance here).
  const key = await loadValidatorKey({ mnemonic: anvil.mnemonic }, "evm");
  me = key.address;
  expect(me).toBe(lower(wallets[0]!));
  tally = await deployPocvalTally(wallets[0]!, { timing: TIMING });
  await tally.setParams({ ...defaultParams(), sampleSize: 20 });
  await tally.setStakes([
    { validator: wallets[0]!.address, stake: 70n },
    { validator: wallets[1]!.address, stake: 30n },
  ]);
  for (const i of [3, 4, 5]) await tally.connect(wallets[i]!).register(`k${i}`, `http://p${i}.test`);
  stage = (BigInt(await provider.getBlockNumber()) / TIMING.stageLength + 1n) * TIMING.stageLength;
  await mineTo(stage - 1n);
  for (const i of [3, 4, 5]) await tally.connect(wallets[i]!).commit(stage, 100n, new Uint8Array(32).fill(i));
  chain = connectEvmSidecarChain({
    rpcUrl: anvil.rpcUrl,
    contract: tally.address,
    wallet: new Wallet(`0x${toHex(key.privateKey)}`),
    pollIntervalMs: 50,
    wsStallMs: 10_000,
  });
  journal = openJournal(join(temp.dir, "journal.db"));
}, 120_000);

afterAll(async () => {
  journal?.close();
  chain?.close();
  provider?.destroy();
  await anvil?.stop();
  temp.remove();
});

describe("the sidecar's EVM chain", () => {
  it("reads participants, commitments, stakes and params with lower-case addresses", async () => {
    expect((await chain.participants()).map((p) => p.address)).toEqual([3, 4, 5].map((i) => lower(wallets[i]!)));
    expect((await chain.commitments(stage)).map((c) => [c.participant, c.count])).toEqual(
      [3, 4, 5].map((i) => [lower(wallets[i]!), 100n]),
    );
    const snapshot = await chain.stakeSnapshot(stage);
    expect(snapshot.totalStake).toBe("100");
    expect(new Map(snapshot.validators.map((v) => [v.address, v.stake]))).toEqual(
      new Map([
        [lower(wallets[0]!), "70"],
        [lower(wallets[1]!), "30"],
      ]),
    );
    const { params, timing } = await chain.params();
    expect(params.validationSlots).toBe(0);
    expect(timing).toEqual(TIMING);
  }, 60_000);

  it("sends journaled votes, refuses a reverting batch without sending, and settles a batch mined late", async () => {
    await mineTo(stage + TIMING.commitWindow);
    const lines: string[] = [];
    const log = createLogger({ level: "debug", progress: "off", stream: collectLines(lines) });
    const metrics = createMetrics();
    const controller = new AbortController();
    const submitter = (inclusionTimeoutMs: number) =>
      createVoteSubmitter({
        chain,
        journal,
        validatorAddress: me,
        votes: voteOptions(inclusionTimeoutMs),
        metrics,
        log,
        signal: controller.signal,
      });
    journal.recordDecision(stage, vote(lower(wallets[3]!), Verdict.VERDICT_CHEATER));
    journal.recordDecision(stage, vote(lower(wallets[4]!), Verdict.VERDICT_HONEST));
    await submitter(20_000).flush(stage);
    expect(journal.counts()).toMatchObject({ pending: 0, in_flight: 0, submitted: 2 });
    const landed = lines.map((l) => JSON.parse(l)).find((l) => l.msg === "votes on chain");
    expect(Number(landed.gas_used)).toBeGreaterThan(21_000);
    const submitting = lines.map((l) => JSON.parse(l)).find((l) => l.msg === "submitting votes");
    expect(submitting.tx).toBe(landed.tx);
    expect((await tally.tally(stage, wallets[3]!.address)).cheaterStake).toBe(70n);
    // One batch: its votes in the journal's order, whichever that is.
    expect((await chain.myVotes(stage)).map((r) => r.vote?.participant).sort()).toEqual(
      [lower(wallets[3]!), lower(wallets[4]!)].sort(),
    );

    // A vote on an account without a commitment reverts at estimation: nothing is signed or journaled.
    journal.recordDecision(stage, vote(lower(wallets[1]!), Verdict.VERDICT_HONEST));
    const nonce = await provider.getTransactionCount(wallets[0]!.address);
    await submitter(20_000).flush(stage);
    expect(await provider.getTransactionCount(wallets[0]!.address)).toBe(nonce);
    expect(journal.inFlightBatches()).toEqual([]);
    expect(await metrics.registry.metrics()).toMatch(/vote_transactions_total\{result="reverted_NoCommitment"\} 1/);
    journal.markExpired(stage, [lower(wallets[1]!)]);

    // Not mined within the inclusion timeout: abandoned, then found on chain once mined, never sent twice.
    await provider.send("evm_setAutomine", [false]);
    journal.recordDecision(stage, vote(lower(wallets[5]!), Verdict.VERDICT_HONEST));
    await submitter(500).flush(stage);
    expect(journal.pending(stage).map((d) => d.participant)).toEqual([lower(wallets[5]!)]);
    expect(await metrics.registry.metrics()).toMatch(/vote_transactions_total\{result="timeout"\} 1/);
    await provider.send("evm_mine", []);
    await provider.send("evm_setAutomine", [true]);
    await submitter(20_000).flush(stage);
    expect(journal.counts()).toMatchObject({ pending: 0, submitted: 3 });
    expect(lines.some((l) => l.includes('"msg":"votes already on chain"'))).toBe(true);
    expect(await metrics.registry.metrics()).toMatch(/vote_transactions_total\{result="landed"\} 1\n/);
    expect((await chain.myVotes(stage)).length).toBe(3);
    controller.abort();
  }, 120_000);

  it("after a crash with a batch in flight: a mined batch is completed, a dropped one sent again, no vote twice", async () => {
    // Each "process" has its own chain connection (a fresh NonceManager) and its own connection to
    // the journal file; a crash closes both, so the dead process's pending work can change nothing.
    // (ethers prints "EEE provider destroyed" for the receipt poll a crash cuts: that is the crash.)
    const stage2 = stage + TIMING.stageLength;
    await mineTo(stage2 - 1n);
    for (const i of [3, 4]) await tally.connect(wallets[i]!).commit(stage2, 100n, new Uint8Array(32).fill(i));
    await mineTo(stage2 + TIMING.commitWindow);
    const key = await loadValidatorKey({ mnemonic: anvil.mnemonic }, "evm");
    const journalPath = join(temp.dir, "restart.db");
    const lines: string[] = [];
    const log = createLogger({ level: "debug", progress: "off", stream: collectLines(lines) });
    const start = () => {
      const c = connectEvmSidecarChain({
        rpcUrl: anvil.rpcUrl,
        contract: tally.address,
        wallet: new Wallet(`0x${toHex(key.privateKey)}`),
        pollIntervalMs: 50,
        wsStallMs: 10_000,
      });
      const j = openJournal(journalPath);
      const controller = new AbortController();
      const submitter = createVoteSubmitter({
        chain: c,
        journal: j,
        validatorAddress: me,
        votes: voteOptions(60_000),
        metrics: createMetrics(),
        log,
        signal: controller.signal,
      });
      const crash = () => {
        controller.abort();
        c.close();
        j.close();
      };
      return { chain: c, journal: j, submitter, crash };
    };
    /** Starts a flush that broadcasts one batch and stays waiting for it (automine is off); resolves its tx hash. */
    const broadcastAndHang = async (p: ReturnType<typeof start>) => {
      void p.submitter.flush(stage2).catch(() => undefined);
      const hash = await until("a batch in flight", () => p.journal.inFlightBatches()[0]?.txHash);
      await until("the transaction in anvil's pool", async () =>
        (await provider.getTransaction(hash)) ? true : undefined,
      );
      return hash;
    };

    await provider.send("evm_setAutomine", [false]);
    const first = start();
    first.journal.recordDecision(stage2, vote(lower(wallets[3]!), Verdict.VERDICT_CHEATER));
    await broadcastAndHang(first);
    first.crash();
    await provider.send("evm_mine", []);
    const second = start();
    await second.submitter.resolveInFlight();
    expect(second.journal.inFlightBatches()).toEqual([]);
    expect(second.journal.counts()).toMatchObject({ pending: 0, in_flight: 0, submitted: 1 });
    expect(lines.some((l) => l.includes('"msg":"a batch sent before the restart landed"'))).toBe(true);
    const nonce = await provider.getTransactionCount(wallets[0]!.address);
    await second.submitter.flush(stage2);
    expect(await provider.getTransactionCount(wallets[0]!.address)).toBe(nonce);

    second.journal.recordDecision(stage2, vote(lower(wallets[4]!), Verdict.VERDICT_HONEST));
    const dropped = await broadcastAndHang(second);
    second.crash();
    await provider.send("anvil_dropTransaction", [dropped]);
    await provider.send("evm_setAutomine", [true]);
    const third = start();
    try {
      await third.submitter.resolveInFlight();
      expect(third.journal.pending(stage2).map((d) => d.participant)).toEqual([lower(wallets[4]!)]);
      expect(lines.some((l) => l.includes("did not land; its votes are pending again"))).toBe(true);
      await third.submitter.flush(stage2);
      expect(third.journal.counts()).toMatchObject({ pending: 0, in_flight: 0, submitted: 2 });
      // Exactly one vote per participant on chain: the mined batch was never re-sent.
      expect((await third.chain.myVotes(stage2)).map((r) => r.vote?.participant).sort()).toEqual(
        [lower(wallets[3]!), lower(wallets[4]!)].sort(),
      );
      expect((await tally.tally(stage2, wallets[3]!.address)).cheaterStake).toBe(70n);
    } finally {
      third.crash();
    }
  }, 120_000);

  it("follows blocks by eth_subscribe over websocket, and replaces a socket that went quiet", async () => {
    const ws = connectEvmSidecarChain({
      rpcUrl: anvil.rpcUrl,
      contract: tally.address,
      wallet: Wallet.createRandom(),
      wsUrl: anvil.rpcUrl.replace(/^http/, "ws"),
      pollIntervalMs: 50,
      wsStallMs: 1_000,
    });
    const lines: string[] = [];
    const log = createLogger({ level: "debug", progress: "off", stream: collectLines(lines) });
    const seen: bigint[] = [];
    const follower = ws.followBlocks({ log, onHeight: (h) => seen.push(h) });
    try {
      await until("the subscription", async () => {
        await provider.send("anvil_mine", ["0x1"]);
        return seen.length > 0 ? true : undefined;
      });
      expect(follower.live()).toBe(true);
      const target = BigInt(await provider.getBlockNumber()) + 3n;
      for (let i = 0; i < 3; i++) await provider.send("anvil_mine", ["0x1"]);
      await until("three new heads", () => (follower.height() >= target ? true : undefined));
      expect(follower.height()).toBe(target);
      // No block for longer than wsStallMs (anvil mines only when asked): the socket is replaced...
      await until("a reconnect", () => (lines.some((l) => l.includes("chain websocket quiet")) ? true : undefined));
      expect(follower.live()).toBe(false);
      // ...and the new one delivers the next heads.
      await until("heads on the new socket", async () => {
        await provider.send("anvil_mine", ["0x1"]);
        return follower.height() > target ? true : undefined;
      });
      expect(follower.live()).toBe(true);
      expect([...seen].sort((a, b) => (a < b ? -1 : 1))).toEqual(seen);
    } finally {
      follower.stop();
      ws.close();
    }
  }, 60_000);

  it("a websocket that cannot connect is logged and retried, never thrown", async () => {
    const dead = connectEvmSidecarChain({
      rpcUrl: anvil.rpcUrl,
      contract: tally.address,
      wallet: Wallet.createRandom(),
      // Port 1 on loopback: the connection is refused at once.
      wsUrl: "ws://127.0.0.1:1",
      pollIntervalMs: 50,
      wsStallMs: 200,
    });
    const lines: string[] = [];
    const log = createLogger({ level: "debug", progress: "off", stream: collectLines(lines) });
    const follower = dead.followBlocks({ log, onHeight: () => undefined });
    try {
      await until("two reconnects", () =>
        lines.filter((l) => l.includes("chain websocket quiet")).length >= 2 ? true : undefined,
      );
      expect(lines.some((l) => l.includes('"msg":"chain websocket error"') && l.includes("ECONNREFUSED"))).toBe(true);
      expect(follower.live()).toBe(false);
      expect(follower.height()).toBe(0n);
    } finally {
      follower.stop();
      dead.close();
    }
  }, 60_000);
});
