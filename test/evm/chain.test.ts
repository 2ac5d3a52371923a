import { HDNodeWallet, JsonRpcProvider, Mnemonic } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultParams } from "../../src/core/index.js";
import {
  ContractRevertError,
  connectEvmChain,
  deployPocvalTally,
  type EvmChain,
  evmTallyReader,
  followEvmBlocks,
  type PocvalTally,
  type RunningAnvil,
  startAnvil,
} from "../../src/evm/index.js";
import { Reason, Verdict } from "../../src/gen/pocval/v1/types.js";

// The EVM chain adapter on a real anvil mining a block per transaction: reads in the proto types,
// vote batches with local nonces and gas estimated against the pending block, block following.
const TIMING = { stageLength: 40n, stageOffset: 0n, commitWindow: 4n, validationWindow: 10n };
let anvil: RunningAnvil;
let provider: JsonRpcProvider;
let wallets: HDNodeWallet[];
let tally: PocvalTally;
let chain: EvmChain;
let stage: bigint;

const mineTo = async (height: bigint) => {
  const now = BigInt(await provider.getBlockNumber());
  if (height > now) await provider.send("anvil_mine", [`0x${(height - now).toString(16)}`]);
};

beforeAll(async () => {
  anvil = await startAnvil({ accounts: 5 });
  provider = new JsonRpcProvider(anvil.rpcUrl, undefined, {
    staticNetwork: true,
    pollingInterval: 20,
    cacheTimeout: -1,
  });
  const m = Mnemonic.fromPhrase(anvil.mnemonic);
  wallets = [0, 1, 2, 3, 4].map((i) => HDNodeWallet.fromMnemonic(m, `m/44'/60'/0'/0/${i}`).connect(provider));
  tally = await deployPocvalTally(wallets[0]!, { timing: TIMING });
  await tally.setParams({
    ...defaultParams(),
    sampleSize: 20,
    proofRequestBudget: 3,
    proofResponseMs: 1500,
    acceptanceRate: "0.015",
  });
  await tally.setStakes([
    { validator: wallets[1]!.address, stake: 70n },
    { validator: wallets[2]!.address, stake: 30n },
  ]);
  await tally.connect(wallets[3]!).register("k3", "http://p3.test");
  await tally.connect(wallets[4]!).register("k4", "http://p4.test");
  const now = BigInt(await provider.getBlockNumber());
  stage = (now / TIMING.stageLength + 1n) * TIMING.stageLength;
  await mineTo(stage - 1n);
  await tally.connect(wallets[3]!).commit(stage, 100n, new Uint8Array(32).fill(7));
  await tally.connect(wallets[4]!).commit(stage, 50n, new Uint8Array(32).fill(8));
  chain = connectEvmChain({ rpcUrl: anvil.rpcUrl, contract: tally.address, wallet: wallets[1]! });
}, 120_000);

afterAll(async () => {
  chain?.close();
  provider?.destroy();
  await anvil?.stop();
});

const vote = (participant: string, verdict = Verdict.VERDICT_HONEST) => ({
  participant,
  verdict,
  reason: Reason.REASON_UNAVAILABLE,
  checked: 3,
  mismatches: 1,
  pValue: "0.001",
  evidenceHash: new Uint8Array(32).fill(9),
});

describe("connectEvmChain", () => {
  it("reads params, participants, commitments and the stage's seeds in the Cosmos query types", async () => {
    const { params, timing, kCrit } = await chain.params();
    expect(params).toMatchObject({ fpRate: "0.02", alpha: "0.05", sampleSize: 20, quorumNum: 1n, quorumDen: 2n });
    // The availability params as set (docs/protocol.md "Availability"), not the defaults 8 x 30 s.
    expect([params.proofRequestBudget, params.proofResponseMs]).toEqual([3, 1500]);
    // Early acceptance (version 3) as set, in the module's decimal spelling.
    expect(params.acceptanceRate).toBe("0.015");
    expect(timing).toEqual(TIMING);
    expect(kCrit).toHaveLength(20);
    const participants = await chain.participants();
    expect(participants.map((p) => [p.address, p.pocPublicKey, p.proofApiUrl])).toEqual([
      [wallets[3]!.address, "k3", "http://p3.test"],
      [wallets[4]!.address, "k4", "http://p4.test"],
    ]);
    const commitments = await chain.commitments(stage);
    expect(commitments.map((c) => [c.participant, c.count, c.rootHash[0]])).toEqual([
      [wallets[3]!.address, 100n, 7],
      [wallets[4]!.address, 50n, 8],
    ]);
    const info = await chain.stage(stage);
    expect(info.generationSeed).toBe((await provider.getBlock(stage))!.hash!.slice(2));
    expect(info.samplingBlockHash).toBe("");
    expect(info.finalized).toBe(false);
  }, 60_000);

  it("refuses availability params out of the module's bounds, naming the field, and keeps the last ones", async () => {
    const base = { ...defaultParams(), sampleSize: 20 };
    for (const [over, field] of [
      [{ proofRequestBudget: 1001 }, "proofRequestBudget"],
      [{ proofResponseMs: 99 }, "proofResponseMs"],
      [{ proofResponseMs: 3_600_001 }, "proofResponseMs"],
    ] as const) {
      const err = await tally.setParams({ ...base, ...over }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ContractRevertError);
      expect([(err as ContractRevertError).errorName, (err as ContractRevertError).args]).toEqual([
        "InvalidParams",
        [field],
      ]);
    }
    const { params } = await chain.params();
    expect([params.proofRequestBudget, params.proofResponseMs]).toEqual([3, 1500]);
  }, 60_000);

  it("votes as soon as the sampling block is mined, sends concurrent batches with local nonces, reads them back", async () => {
    await mineTo(stage + TIMING.commitWindow);
    // The latest block is the sampling block: only an estimate at "pending" sees the validation window.
    const [a, b] = await Promise.all([
      chain.submitVotes(stage, [vote(wallets[3]!.address, Verdict.VERDICT_CHEATER)]),
      chain.submitVotes(stage, [vote(wallets[4]!.address)]),
    ]);
    expect(a.height).toBeGreaterThan(stage + TIMING.commitWindow);
    expect(a.txHash).not.toBe(b.txHash);
    const mine = await chain.myVotes(stage);
    expect(mine.map((r) => [r.vote?.participant, r.vote?.verdict, r.vote?.pValue, r.vote?.checked])).toEqual([
      [wallets[3]!.address, Verdict.VERDICT_CHEATER, "0.001", 3],
      [wallets[4]!.address, Verdict.VERDICT_HONEST, "0.001", 3],
    ]);
    expect((await chain.stage(stage)).samplingBlockHash).toMatch(/^[0-9a-f]{64}$/);
    const err = await chain.submitVotes(stage, [vote(wallets[3]!.address)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContractRevertError);
    expect((err as ContractRevertError).errorName).toBe("DuplicateVote");
    const t = await tally.tally(stage, wallets[3]!.address);
    expect(t).toMatchObject({ cheaterStake: 70n, convicted: true });
    // Every validator's votes and the registrations, as the localnet runner reads them.
    const reader = evmTallyReader(provider, tally.address);
    expect((await reader.votes(stage)).map((r) => [r.validator, r.vote?.participant, r.vote?.checked])).toEqual([
      [wallets[1]!.address, wallets[3]!.address, 3],
      [wallets[1]!.address, wallets[4]!.address, 3],
    ]);
    expect(await reader.registered()).toEqual([wallets[3]!.address, wallets[4]!.address]);
  }, 60_000);

  it("reads over a websocket URL too", async () => {
    const ws = connectEvmChain({
      rpcUrl: anvil.rpcUrl.replace(/^http/, "ws"),
      contract: tally.address,
      wallet: wallets[2]!,
    });
    try {
      expect(await ws.latestHeight()).toBe(BigInt(await provider.getBlockNumber()));
      expect((await ws.params()).timing).toEqual(TIMING);
    } finally {
      ws.close();
    }
  }, 60_000);

  it("follows new heights by polling", async () => {
    const seen: bigint[] = [];
    const follower = followEvmBlocks({ url: anvil.rpcUrl, pollIntervalMs: 50, onHeight: (h) => seen.push(h) });
    try {
      const target = BigInt(await provider.getBlockNumber()) + 3n;
      await provider.send("anvil_mine", ["0x3"]);
      const deadline = Date.now() + 30_000;
      while (follower.height() < target && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(follower.height()).toBe(target);
      expect([...seen].sort((x, y) => (x < y ? -1 : 1))).toEqual(seen);
    } finally {
      follower.stop();
    }
  }, 60_000);
});
