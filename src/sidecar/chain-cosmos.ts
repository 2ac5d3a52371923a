// The sidecar's chain on a Cosmos chain with the pocval module (chain.ts's interface): queries and
// signing over HTTP through cosmjs, MsgSubmitVotes batches with their sequence and gas retries, and
// a block follower that listens to NewBlock events over websocket, falls back to polling, and
// reconnects by itself.
import { sha256 } from "@cosmjs/crypto";
import { toHex } from "@cosmjs/encoding";
import { BroadcastTxError, calculateFee, GasPrice, QueryClient, SigningStargateClient } from "@cosmjs/stargate";
import { Comet38Client, HttpClient, WebsocketClient } from "@cosmjs/tendermint-rpc";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import {
  createPocvalRegistry,
  type MsgSubmitVotesEncodeObject,
  type PocvalExtension,
  setupPocvalExtension,
  typeUrls,
} from "../client/index.js";
import { backoffDelay, sleep } from "../net/index.js";
import type { BlockFollower, SidecarChain, VoteSender, VoteSettings, VoteTxOutcome } from "./chain.js";
import type { ValidatorKey } from "./keys.js";
import type { Logger } from "./log.js";

/** SDK codes the submitter reacts to (the localnet node uses the SDK's numbers). */
const OUT_OF_GAS = 11;
const WRONG_SEQUENCE = 32;
/** Out-of-gas retries raise the gas limit at most this many times over the estimate. */
const MAX_GAS_FACTOR = 64;

/** Opens the HTTP clients for queries and transactions. */
export async function connectCosmosSidecarChain(opts: {
  rpcUrl: string;
  /** NewBlock events; derived from rpcUrl when absent. */
  wsUrl?: string;
  timeoutMs: number;
  pollIntervalMs: number;
  wsStallMs: number;
  key: ValidatorKey;
  gasPrice: string;
}): Promise<SidecarChain> {
  const comet = Comet38Client.create(new HttpClient(opts.rpcUrl, opts.timeoutMs));
  const query: QueryClient & PocvalExtension = QueryClient.withExtensions(comet, setupPocvalExtension);
  const signer = SigningStargateClient.createWithSigner(comet, opts.key.wallet, {
    registry: createPocvalRegistry(),
    gasPrice: GasPrice.fromString(opts.gasPrice),
  });
  let chainId: string | undefined;
  const getChainId = async () => {
    chainId ??= await signer.getChainId();
    return chainId;
  };
  return {
    kind: "cosmos",
    latestHeight: async () => BigInt((await comet.status()).syncInfo.latestBlockHeight),
    params: () => query.pocval.params(),
    stage: async (h) => (await query.pocval.stage(h)).stage,
    participants: () => query.pocval.participants(),
    commitments: (h) => query.pocval.commitments(h),
    myVotes: (h) => query.pocval.votes(h, { validator: opts.key.address }),
    stakeSnapshot: (h) => query.pocval.stakeSnapshot(h),
    voteSender: (o) => cosmosVoteSender({ signer, chainId: getChainId, address: opts.key.address, ...o }),
    followBlocks: (o) =>
      followBlocks({
        rpcUrl: opts.rpcUrl,
        wsUrl: opts.wsUrl ?? websocketUrl(opts.rpcUrl),
        timeoutMs: opts.timeoutMs,
        pollIntervalMs: opts.pollIntervalMs,
        wsStallMs: opts.wsStallMs,
        ...o,
      }),
    close: () => comet.disconnect(),
  };
}

/** What cosmosVoteSender is given. */
interface CosmosVoteSenderOptions {
  signer: SigningStargateClient;
  chainId: () => Promise<string>;
  address: string;
  votes: VoteSettings;
  log: Logger;
  signal: AbortSignal;
}

/** The sender's state between batches. */
interface CosmosSenderState {
  opts: CosmosVoteSenderOptions;
  gasPrice: GasPrice;
  /** Raised by out-of-gas failures, up to MAX_GAS_FACTOR. */
  gasFactor: number;
  // The sequence a mismatch error named; the committed one lags while our txs sit in the mempool.
  expectedSequence: number | undefined;
  // After a batch landed, the next sequence is known: no account query before the next signing
  // (on a busy node each query costs a round trip the window may not have). Forgotten on any failure.
  next: { accountNumber: bigint; sequence: number } | undefined;
}

/**
 * MsgSubmitVotes batches: the account's sequence (or the one a mismatch named), gas simulated with a
 * margin (or the static schedule) times a factor that out-of-gas failures raise, signed locally so
 * the hash is known before the broadcast, then looked up by hash until it lands.
 */
function cosmosVoteSender(opts: CosmosVoteSenderOptions): VoteSender {
  const state: CosmosSenderState = {
    opts,
    gasPrice: GasPrice.fromString(opts.votes.gasPrice),
    gasFactor: 1,
    expectedSequence: undefined,
    next: undefined,
  };
  return {
    send: (stageHeight, votes, onSigned) => sendVotes(state, stageHeight, votes, onSigned),
    async find(txHash, timeoutMs) {
      const tx = await waitForTx(opts, txHash, timeoutMs);
      if (tx === null) return null;
      return tx.code === 0
        ? { landed: true, height: BigInt(tx.height) }
        : { landed: false, detail: `DeliverTx code ${tx.code}` };
    },
  };
}

/** Polls for a transaction by hash until it is found or the timeout passes. */
async function waitForTx(
  opts: Pick<CosmosVoteSenderOptions, "signer" | "log" | "signal">,
  hash: string,
  timeoutMs: number,
): Promise<{ code: number; height: number; rawLog: string } | null> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const tx = await opts.signer.getTx(hash);
      if (tx) return tx;
    } catch (err) {
      opts.log.debug("tx lookup failed", { hash, error: (err as Error).message });
    }
    if (Date.now() >= until) return null;
    await sleep(Math.min(250, Math.max(10, until - Date.now())), opts.signal);
  }
}

/** Simulated gas with a margin, or the static schedule when simulation is off or fails. */
async function gasLimit(
  opts: CosmosVoteSenderOptions,
  msg: MsgSubmitVotesEncodeObject,
  votes: number,
): Promise<number> {
  const fallback = opts.votes.baseGas + opts.votes.gasPerVote * votes;
  if (!opts.votes.simulate) return fallback;
  try {
    return Math.ceil((await opts.signer.simulate(opts.address, [msg], "")) * opts.votes.gasAdjustment);
  } catch (err) {
    opts.log.debug("gas simulation failed; using the static schedule", { error: (err as Error).message });
    return fallback;
  }
}

function raiseGas(state: CosmosSenderState): void {
  state.gasFactor = Math.min(MAX_GAS_FACTOR, state.gasFactor * state.opts.votes.gasRetryFactor);
}

/** Signs one batch at the right sequence, broadcasts it and waits for it to land. */
async function sendVotes(
  state: CosmosSenderState,
  stageHeight: bigint,
  votes: Parameters<VoteSender["send"]>[1],
  onSigned: Parameters<VoteSender["send"]>[2],
): Promise<VoteTxOutcome> {
  const { opts } = state;
  const { signer, log } = opts;
  const account = state.next ?? (await signer.getSequence(opts.address));
  state.next = undefined;
  const { accountNumber } = account;
  const sequence = Math.max(account.sequence, state.expectedSequence ?? 0);
  state.expectedSequence = undefined;
  const msg: MsgSubmitVotesEncodeObject = {
    typeUrl: typeUrls.submitVotes,
    value: { creator: opts.address, stageHeight, votes: [...votes] },
  };
  const gas = Math.ceil((await gasLimit(opts, msg, votes.length)) * state.gasFactor);
  const txRaw = await signer.sign(opts.address, [msg], calculateFee(gas, state.gasPrice), "", {
    accountNumber,
    sequence,
    chainId: await opts.chainId(),
  });
  const bytes = TxRaw.encode(txRaw).finish();
  const hash = toHex(sha256(bytes)).toUpperCase();
  onSigned(hash, { sequence, gas });
  try {
    await signer.broadcastTxSync(bytes);
  } catch (err) {
    const refused = broadcastRefused(state, stageHeight, hash, err);
    if (refused) return refused;
  }
  const tx = await waitForTx(opts, hash, opts.votes.inclusionTimeoutMs);
  if (tx === null) {
    // Not seen: it may still land, so the chain's votes are read before the next signing.
    log.warn("vote transaction not included in time", { stage: stageHeight, tx: hash });
    return { status: "not_landed", result: "timeout", detail: "not included before the inclusion timeout" };
  }
  if (tx.code !== 0) {
    if (tx.code === OUT_OF_GAS) raiseGas(state);
    log.warn("vote transaction failed", { stage: stageHeight, tx: hash, code: tx.code, log: tx.rawLog });
    return { status: "not_landed", result: `failed_${tx.code}`, detail: `DeliverTx code ${tx.code}: ${tx.rawLog}` };
  }
  state.next = { accountNumber, sequence: sequence + 1 };
  return { status: "landed", result: "landed", txHash: hash, height: BigInt(tx.height) };
}

/**
 * A broadcast that threw: the outcome when the node refused the transaction, or undefined when it
 * may have reached CheckTx (then the caller looks for it on chain).
 */
function broadcastRefused(
  state: CosmosSenderState,
  stageHeight: bigint,
  hash: string,
  err: unknown,
): VoteTxOutcome | undefined {
  const { log } = state.opts;
  if (err instanceof BroadcastTxError) {
    // CheckTx refused it: nothing of it can land.
    if (err.code === OUT_OF_GAS) raiseGas(state);
    const expected = err.code === WRONG_SEQUENCE ? /expected (\d+)/.exec(err.log ?? "") : null;
    if (expected) state.expectedSequence = Number(expected[1]);
    log.warn("vote transaction refused", {
      stage: stageHeight,
      code: err.code,
      codespace: err.codespace,
      log: err.log,
    });
    return {
      status: "not_landed",
      result: `rejected_${err.code}`,
      detail: `CheckTx ${err.codespace}/${err.code}: ${err.log ?? ""}`,
      // A sequence mismatch needs no backoff: the next signing reads the sequence afresh.
      resequence: err.code === WRONG_SEQUENCE,
    };
  }
  const message = (err as Error).message;
  // A full mempool or a known tx is a refusal before CheckTx; anything else may have reached it.
  if (/mempool is full/i.test(message)) {
    log.warn("mempool full; will retry", { stage: stageHeight });
    return { status: "not_landed", result: "mempool_full", detail: message };
  }
  log.warn("broadcast failed; looking for the tx on chain", { stage: stageHeight, tx: hash, error: message });
  return undefined;
}

/** The websocket endpoint of a node: `ws(s)://host:port/websocket` from its HTTP RPC URL. */
export function websocketUrl(rpcUrl: string): string {
  const u = new URL(rpcUrl);
  u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
  u.pathname = `${u.pathname.replace(/\/+$/, "")}/websocket`;
  return u.toString();
}

/** What followBlocks is given. */
interface FollowBlocksOptions {
  rpcUrl: string;
  wsUrl: string;
  timeoutMs: number;
  pollIntervalMs: number;
  wsStallMs: number;
  log: Logger;
  onHeight: (height: bigint) => void;
}

/** The follower's state: the functions below share it. */
interface FollowState {
  opts: FollowBlocksOptions;
  http: Comet38Client;
  best: bigint;
  lastNewAt: number;
  lastWsEventAt: number;
  stopped: boolean;
  ws: { client: Comet38Client; unsubscribe: () => void } | undefined;
  wsFailures: number;
  reconnectTimer: NodeJS.Timeout | undefined;
  polling: boolean;
}

/**
 * Follows new heights: NewBlock events over websocket while they flow; polling `status` when the
 * socket is down or stalled, reconnecting the socket with backoff. onHeight receives each new
 * highest height once, in increasing order.
 */
export function followBlocks(opts: FollowBlocksOptions): BlockFollower {
  const state: FollowState = {
    opts,
    http: Comet38Client.create(new HttpClient(opts.rpcUrl, opts.timeoutMs)),
    best: 0n,
    lastNewAt: Date.now(),
    lastWsEventAt: 0,
    stopped: false,
    ws: undefined,
    wsFailures: 0,
    reconnectTimer: undefined,
    polling: false,
  };
  const pollTimer = setInterval(() => void poll(state), opts.pollIntervalMs);
  void poll(state);
  void connect(state);
  return {
    height: () => state.best,
    live: () => state.ws !== undefined,
    sinceLastBlockMs: () => Date.now() - state.lastNewAt,
    stop() {
      state.stopped = true;
      clearInterval(pollTimer);
      if (state.reconnectTimer) clearTimeout(state.reconnectTimer);
      const current = state.ws;
      state.ws = undefined;
      if (current) {
        current.unsubscribe();
        current.client.disconnect();
      }
      state.http.disconnect();
    },
  };
}

/** A height seen by the socket or a poll: passed on when it is a new highest. */
function see(state: FollowState, h: bigint): void {
  if (h <= state.best) return;
  state.best = h;
  state.lastNewAt = Date.now();
  state.opts.onHeight(h);
}

function dropSocket(state: FollowState, why: string): void {
  if (!state.ws) return;
  state.opts.log.warn("chain websocket lost; polling", { why });
  state.wsFailures++;
  const old = state.ws;
  state.ws = undefined;
  try {
    old.unsubscribe();
    old.client.disconnect();
  } catch {
    // Already closed.
  }
  scheduleReconnect(state);
}

function scheduleReconnect(state: FollowState): void {
  if (state.stopped || state.reconnectTimer) return;
  const delay = backoffDelay(state.wsFailures + 1, { baseDelayMs: 250, maxDelayMs: 30_000 });
  state.reconnectTimer = setTimeout(() => {
    state.reconnectTimer = undefined;
    void connect(state);
  }, delay);
}

/** Opens the websocket and subscribes to NewBlock; on failure, tries again with backoff. */
async function connect(state: FollowState): Promise<void> {
  const { opts } = state;
  if (state.stopped || state.ws) return;
  let client: Comet38Client | undefined;
  try {
    // WebsocketClient appends "/websocket" itself.
    const socket = new WebsocketClient(opts.wsUrl.replace(/\/websocket\/?$/, ""), (err: unknown) =>
      dropSocket(state, String((err as Error)?.message ?? err)),
    );
    client = Comet38Client.create(socket);
    const subscription = client.subscribeNewBlock().subscribe({
      next: (block) => {
        state.lastWsEventAt = Date.now();
        state.wsFailures = 0;
        see(state, BigInt(block.header.height));
      },
      error: (err: unknown) => dropSocket(state, String((err as Error)?.message ?? err)),
      complete: () => dropSocket(state, "subscription completed"),
    });
    if (state.stopped) {
      subscription.unsubscribe();
      client.disconnect();
      return;
    }
    state.ws = { client, unsubscribe: () => subscription.unsubscribe() };
    state.lastWsEventAt = Date.now();
    // Liveness is judged by events: no NewBlock within wsStallMs drops the socket (see poll).
    opts.log.info("chain websocket subscribing to NewBlock", { url: opts.wsUrl });
  } catch (err) {
    state.wsFailures++;
    try {
      client?.disconnect();
    } catch {
      // Nothing to close.
    }
    opts.log.debug("chain websocket unavailable", { url: opts.wsUrl, error: (err as Error).message });
    scheduleReconnect(state);
  }
}

/** Polls whenever the socket is down or quiet; it also catches up heights the socket skipped. */
async function poll(state: FollowState): Promise<void> {
  const { opts } = state;
  if (state.stopped || state.polling) return;
  const quiet = Date.now() - state.lastWsEventAt > Math.max(opts.pollIntervalMs * 2, 1000);
  if (state.ws && !quiet) return;
  state.polling = true;
  try {
    see(state, BigInt((await state.http.status()).syncInfo.latestBlockHeight));
    if (state.ws && Date.now() - state.lastWsEventAt > opts.wsStallMs) {
      dropSocket(state, `no NewBlock event for ${opts.wsStallMs} ms`);
    }
  } catch (err) {
    opts.log.debug("chain status poll failed", { error: (err as Error).message });
  } finally {
    state.polling = false;
  }
}
