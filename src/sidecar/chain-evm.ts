// The sidecar's chain on an EVM chain with a PocvalTally contract (chain.ts's interface), through
// src/evm/chain.ts. Addresses come out as lower-case 0x hex, how the EVM binding spells them in the
// sampling and slot seeds, so the journal, the checks and the proof requests all use one spelling.
// Vote batches: the nonce from a NonceManager, gas estimated at the pending block plus a margin; a
// batch not mined in time (dropped or replaced) is settled by reading the chain's votes again.
import type { BaseWallet } from "ethers";
import { lowerEvmAddress } from "../core/index.js";
import { ContractRevertError, connectEvmChain, followEvmBlocks } from "../evm/index.js";
import { backoffDelay } from "../net/index.js";
import type { BlockFollower, SidecarChain, VoteSender, VoteSettings, VoteTxOutcome } from "./chain.js";
import type { Logger } from "./log.js";

/** What connectEvmSidecarChain is given. */
interface EvmSidecarChainOptions {
  rpcUrl: string;
  contract: string;
  wallet: BaseWallet;
  /** Block following: eth_subscribe newHeads when it is a ws(s) URL, polling rpcUrl otherwise. */
  wsUrl?: string;
  pollIntervalMs: number;
  /** A websocket without a new head for this long is replaced. */
  wsStallMs: number;
  /** Each failed try to reach a node that has not answered yet. */
  onWaiting?: (err: Error, attempt: number) => void;
}

type EvmChain = ReturnType<typeof connectEvmChain>;

/** Connects the validator's EVM account (`wallet`, the mnemonic's Ethereum HD path) to the contract. */
export function connectEvmSidecarChain(opts: EvmSidecarChainOptions): SidecarChain {
  const evm = connectEvmChain({
    rpcUrl: opts.rpcUrl,
    contract: opts.contract,
    wallet: opts.wallet,
    onWaiting: opts.onWaiting,
  });
  return {
    kind: "evm",
    latestHeight: () => evm.latestHeight(),
    params: async () => {
      const { params, timing } = await evm.params();
      return { params: { ...params, validationSlots: params.validationSlots ?? 0 }, timing };
    },
    stage: (h) => evm.stage(h),
    participants: async () => (await evm.participants()).map((p) => ({ ...p, address: lowerEvmAddress(p.address) })),
    commitments: async (h) =>
      (await evm.commitments(h)).map((c) => ({ ...c, participant: lowerEvmAddress(c.participant) })),
    myVotes: async (h) =>
      (await evm.myVotes(h)).map((r) => ({
        ...r,
        validator: lowerEvmAddress(r.validator),
        vote: r.vote && { ...r.vote, participant: lowerEvmAddress(r.vote.participant) },
      })),
    stakeSnapshot: async (h) => {
      const s = await evm.stakeSnapshot(h);
      return { ...s, validators: s.validators.map((v) => ({ ...v, address: lowerEvmAddress(v.address) })) };
    },
    voteSender: ({ votes, log }) => evmVoteSender(evm, votes, log),
    followBlocks: ({ log, onHeight }) => followEvmSidecarBlocks(opts, log, onHeight),
    close: () => evm.close(),
  };
}

/** Vote batches through the contract: a revert at estimation, a timeout or a reverted block do not land. */
function evmVoteSender(evm: EvmChain, votes: VoteSettings, log: Logger): VoteSender {
  return {
    async send(stageHeight, batch, onSigned): Promise<VoteTxOutcome> {
      let sent: Awaited<ReturnType<typeof evm.sendVotes>>;
      try {
        sent = await evm.sendVotes(stageHeight, batch, {
          inclusionTimeoutMs: votes.inclusionTimeoutMs,
          onSigned: (hash, fields) => onSigned(hash, { nonce: fields.nonce, gas: fields.gas }),
        });
      } catch (err) {
        // The estimate at the pending block reverted: nothing was sent.
        if (!(err instanceof ContractRevertError)) throw err;
        log.warn("vote transaction refused", { stage: stageHeight, error: err.errorName, detail: err.message });
        return { status: "not_landed", result: `reverted_${err.errorName}`, detail: err.message };
      }
      if (sent.status === "unknown") {
        log.warn("vote transaction not mined in time", { stage: stageHeight, tx: sent.txHash, detail: sent.detail });
        return { status: "not_landed", result: "timeout", detail: sent.detail };
      }
      if (!sent.ok) {
        log.warn("vote transaction reverted", { stage: stageHeight, tx: sent.txHash, height: sent.height });
        return { status: "not_landed", result: "reverted", detail: `reverted in block ${sent.height}` };
      }
      return { status: "landed", result: "landed", txHash: sent.txHash, height: sent.height, gasUsed: sent.gasUsed };
    },
    async find(txHash, timeoutMs) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const r = await evm.receipt(txHash).catch(() => null);
        if (r?.status === "mined")
          return r.ok ? { landed: true, height: r.height } : { landed: false, detail: "reverted" };
        if (Date.now() >= until) return null;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    },
  };
}

/** New heads over the websocket (replaced when it goes quiet) or by polling the HTTP URL. */
function followEvmSidecarBlocks(
  opts: EvmSidecarChainOptions,
  log: Logger,
  onHeight: (height: bigint) => void,
): BlockFollower {
  const url = opts.wsUrl ?? opts.rpcUrl;
  const ws = url.startsWith("ws");
  let best = 0n;
  let lastNewAt = Date.now();
  let failures = 0;
  let retryAt = 0;
  const see = (h: bigint) => {
    if (h <= best) return;
    best = h;
    lastNewAt = Date.now();
    failures = 0;
    onHeight(h);
  };
  const start = () =>
    followEvmBlocks({
      url,
      pollIntervalMs: opts.pollIntervalMs,
      onHeight: see,
      onError: (err) => log.debug("chain websocket error", { url, error: err.message }),
    });
  let follower = start();
  // ethers' WebSocketProvider does not reconnect: a socket without a new head for wsStallMs is
  // replaced, with backoff while it stays quiet.
  const watchdog = ws
    ? setInterval(() => {
        const quiet = Date.now() - lastNewAt;
        if (quiet < opts.wsStallMs || Date.now() < retryAt) return;
        failures++;
        retryAt = Date.now() + opts.wsStallMs + backoffDelay(failures, { baseDelayMs: 250, maxDelayMs: 30_000 });
        log.warn("chain websocket quiet; reconnecting", { url, quiet_ms: quiet });
        follower.stop();
        follower = start();
      }, opts.pollIntervalMs)
    : undefined;
  return {
    height: () => best,
    live: () => ws && Date.now() - lastNewAt < opts.wsStallMs,
    sinceLastBlockMs: () => Date.now() - lastNewAt,
    stop: () => {
      clearInterval(watchdog);
      follower.stop();
    },
  };
}
