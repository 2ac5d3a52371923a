// Drives a PocvalTally on a real anvil with automine off, so a test places each transaction in the
// block it wants (windows are block heights) and reads revert reasons of mined transactions.
import { type Contract, HDNodeWallet, JsonRpcProvider, Mnemonic } from "ethers";
import { defaultParams } from "../../src/chain/index.js";
import {
  deployPocvalTally,
  kCritTable,
  type PocvalTally,
  paramsTuple,
  type RunningAnvil,
  sortedStakes,
  startAnvil,
} from "../../src/evm/index.js";
import type { StageTiming } from "../../src/gen/pocval/v1/params.js";
import { Reason, Verdict } from "../../src/gen/pocval/v1/types.js";

export interface Harness {
  anvil: RunningAnvil;
  provider: JsonRpcProvider;
  wallets: HDNodeWallet[];
  tally: PocvalTally;
  timing: StageTiming;
  /** Sends without mining; resolves with the transaction hash. */
  send(from: HDNodeWallet, method: string, ...args: unknown[]): Promise<string>;
  /** Mines n blocks (1 by default). */
  mine(n?: number): Promise<void>;
  /** Mines empty blocks until the latest block is `height` (the next transaction lands at height + 1). */
  mineUntil(height: bigint): Promise<void>;
  blockNumber(): Promise<bigint>;
  /** Status of a mined transaction and, if it reverted, the custom error's name. */
  outcome(hash: string): Promise<{ ok: boolean; error?: string; gasUsed: bigint }>;
  /** The next stage start after the latest block. */
  nextStage(after?: bigint): Promise<bigint>;
  close(): Promise<void>;
}

export async function startHarness(accounts: number, timing: StageTiming): Promise<Harness> {
  const anvil = await startAnvil({ accounts });
  // cacheTimeout -1: ethers would otherwise answer a repeated eth_getTransactionCount from a 250 ms cache.
  const provider = new JsonRpcProvider(anvil.rpcUrl, undefined, {
    staticNetwork: true,
    pollingInterval: 10,
    cacheTimeout: -1,
  });
  const mnemonic = Mnemonic.fromPhrase(anvil.mnemonic);
  const wallets = Array.from({ length: accounts }, (_, i) =>
    HDNodeWallet.fromMnemonic(mnemonic, `m/44'/60'/0'/0/${i}`).connect(provider),
  );
  const tally = await deployPocvalTally(wallets[0]!, { timing });
  await provider.send("evm_setAutomine", [false]);
  const nonces = new Map<string, number>();
  for (const w of wallets) nonces.set(w.address, await provider.getTransactionCount(w.address, "pending"));
  const contracts = new Map<string, Contract>();
  const blockNumber = async () => BigInt(await provider.getBlockNumber());
  const mine = async (n = 1) => {
    await provider.send("anvil_mine", [`0x${n.toString(16)}`]);
  };
  return {
    anvil,
    provider,
    wallets,
    tally,
    timing,
    async send(from, method, ...args) {
      let c = contracts.get(from.address);
      if (!c) {
        c = tally.contract.connect(from) as Contract;
        contracts.set(from.address, c);
      }
      const nonce = nonces.get(from.address)!;
      nonces.set(from.address, nonce + 1);
      const tx = await c.getFunction(method).send(...args, {
        nonce,
        gasLimit: 25_000_000,
        maxFeePerGas: 10_000_000_000n,
        maxPriorityFeePerGas: 1n,
      });
      return tx.hash;
    },
    mine,
    async mineUntil(height) {
      const now = await blockNumber();
      if (height < now) throw new Error(`cannot mine back to ${height}: the chain is at ${now}`);
      if (height > now) await mine(Number(height - now));
    },
    blockNumber,
    async outcome(hash) {
      const receipt = await provider.getTransactionReceipt(hash);
      if (!receipt) throw new Error(`transaction ${hash} is not mined`);
      if (receipt.status === 1) return { ok: true, gasUsed: receipt.gasUsed };
      const trace = await provider.send("debug_traceTransaction", [hash, { tracer: "callTracer" }]);
      const parsed = trace.output ? tally.contract.interface.parseError(trace.output) : null;
      return { ok: false, error: parsed?.name ?? `unparsed revert ${trace.output}`, gasUsed: receipt.gasUsed };
    },
    async nextStage(after) {
      const from = after ?? (await blockNumber());
      const len = timing.stageLength;
      let s = from + 1n - ((from + 1n) % len) + timing.stageOffset;
      while (s <= from) s += len;
      return s;
    },
    async close() {
      provider.destroy();
      await anvil.stop();
    },
  };
}

/**
 * One tallied stage for the governance readers' tests (query --evm-rpc, the dashboard), on a harness
 * of 5 accounts: wallets 1 and 2 validators with stakes 60 and 40, wallets 3 and 4 participants
 * committing 100 and 70; wallet 1 votes CHEATER (INVALID_PROOF) on 3 and HONEST on 4, wallet 2
 * HONEST on 3; mined past the validation window. Resolves with the stage's height.
 */
export async function talliedStage(h: Harness): Promise<bigint> {
  const zero32 = new Uint8Array(32);
  const [gov, v1, v2, p3, p4] = h.wallets as [HDNodeWallet, HDNodeWallet, HDNodeWallet, HDNodeWallet, HDNodeWallet];
  const params = { ...defaultParams(), sampleSize: 20 };
  const s = sortedStakes([
    { validator: v1.address, stake: 60n },
    { validator: v2.address, stake: 40n },
  ]);
  await Promise.all([
    h.send(gov, "setParams", paramsTuple(params), kCritTable(params)),
    h.send(gov, "setStakes", s.validators, s.stakes),
    h.send(p3, "register", new TextEncoder().encode("k3"), "http://p3.test"),
    h.send(p4, "register", new TextEncoder().encode("k4"), "http://p4.test"),
  ]);
  await h.mine();
  const stage = await h.nextStage();
  await h.mineUntil(stage - 1n);
  await Promise.all([h.send(p3, "commit", stage, 100n, zero32), h.send(p4, "commit", stage, 70n, zero32)]);
  await h.mine();
  await h.mineUntil(stage + h.timing.commitWindow);
  const vote = (participant: string, verdict: Verdict) => ({
    participant,
    verdict,
    reason: verdict === Verdict.VERDICT_CHEATER ? Reason.REASON_INVALID_PROOF : Reason.REASON_UNAVAILABLE,
    checked: 0,
    mismatches: 0,
    pValueE18: 0n,
    evidenceHash: zero32,
  });
  const hashes = await Promise.all([
    h.send(v1, "submitVotes", stage, [
      vote(p3.address, Verdict.VERDICT_CHEATER),
      vote(p4.address, Verdict.VERDICT_HONEST),
    ]),
    h.send(v2, "submitVotes", stage, [vote(p3.address, Verdict.VERDICT_HONEST)]),
  ]);
  await h.mine();
  for (const hash of hashes) {
    const outcome = await h.outcome(hash);
    if (!outcome.ok) throw new Error(`a vote batch of the fixture reverted: ${outcome.error}`);
  }
  await h.mine(5);
  return stage;
}
