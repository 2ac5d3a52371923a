// The sidecar's view of the chain: queries and signing over HTTP, and a block follower that
// listens to NewBlock events over websocket, falls back to polling, and reconnects by itself.
import { GasPrice, QueryClient, SigningStargateClient } from "@cosmjs/stargate";
import { Comet38Client, HttpClient, WebsocketClient } from "@cosmjs/tendermint-rpc";
import { createPocvalRegistry, type PocvalExtension, setupPocvalExtension } from "../client/index.js";
import type { Params, StageTiming } from "../gen/pocval/v1/params.js";
import type { Commitment, Participant, StageInfo, StakeSnapshot, VoteRecord } from "../gen/pocval/v1/types.js";
import { backoffDelay } from "../net/retry.js";
import type { ValidatorKey } from "./keys.js";
import type { Logger } from "./log.js";

/** What the sidecar reads from and sends to the chain. */
export interface SidecarChain {
  latestHeight(): Promise<bigint>;
  params(): Promise<{ params: Params; timing: StageTiming }>;
  stage(stageHeight: bigint): Promise<StageInfo>;
  participants(): Promise<Participant[]>;
  commitments(stageHeight: bigint): Promise<Commitment[]>;
  myVotes(stageHeight: bigint): Promise<VoteRecord[]>;
  /** The stage's stake snapshot (version 2: the slot holders are drawn from it). */
  stakeSnapshot(stageHeight: bigint): Promise<StakeSnapshot>;
  signer: SigningStargateClient;
  chainId(): Promise<string>;
  close(): void;
}

/** Opens the HTTP clients for queries and transactions. */
export async function connectChain(opts: {
  rpcUrl: string;
  timeoutMs: number;
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
  return {
    latestHeight: async () => BigInt((await comet.status()).syncInfo.latestBlockHeight),
    params: () => query.pocval.params(),
    stage: async (h) => (await query.pocval.stage(h)).stage,
    participants: () => query.pocval.participants(),
    commitments: (h) => query.pocval.commitments(h),
    myVotes: (h) => query.pocval.votes(h, { validator: opts.key.address }),
    stakeSnapshot: (h) => query.pocval.stakeSnapshot(h),
    signer,
    chainId: async () => {
      chainId ??= await signer.getChainId();
      return chainId;
    },
    close: () => comet.disconnect(),
  };
}

/** The websocket endpoint of a node: `ws(s)://host:port/websocket` from its HTTP RPC URL. */
export function websocketUrl(rpcUrl: string): string {
  const u = new URL(rpcUrl);
  u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
  u.pathname = `${u.pathname.replace(/\/+$/, "")}/websocket`;
  return u.toString();
}

export interface BlockFollower {
  /** The highest height seen so far (0 before the first). */
  height(): bigint;
  /** Whether the websocket currently delivers blocks. */
  live(): boolean;
  /** Milliseconds since the last new height. */
  sinceLastBlockMs(): number;
  stop(): void;
}

/**
 * Follows new heights: NewBlock events over websocket while they flow; polling `status` when the
 * socket is down or stalled, reconnecting the socket with backoff. onHeight receives each new
 * highest height once, in increasing order.
 */
export function followBlocks(opts: {
  rpcUrl: string;
  wsUrl: string;
  timeoutMs: number;
  pollIntervalMs: number;
  wsStallMs: number;
  log: Logger;
  onHeight: (height: bigint) => void;
}): BlockFollower {
  let best = 0n;
  let lastNewAt = Date.now();
  let lastWsEventAt = 0;
  let stopped = false;
  let ws: { client: Comet38Client; unsubscribe: () => void } | undefined;
  let wsFailures = 0;
  let reconnectTimer: NodeJS.Timeout | undefined;
  const http = Comet38Client.create(new HttpClient(opts.rpcUrl, opts.timeoutMs));

  const see = (h: bigint) => {
    if (h <= best) return;
    best = h;
    lastNewAt = Date.now();
    opts.onHeight(h);
  };

  const dropSocket = (why: string) => {
    if (!ws) return;
    opts.log.warn("chain websocket lost; polling", { why });
    wsFailures++;
    const old = ws;
    ws = undefined;
    try {
      old.unsubscribe();
      old.client.disconnect();
    } catch {
      // Already closed.
    }
    scheduleReconnect();
  };

  const scheduleReconnect = () => {
    if (stopped || reconnectTimer) return;
    const delay = backoffDelay(wsFailures + 1, { baseDelayMs: 250, maxDelayMs: 30_000 });
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      void connect();
    }, delay);
  };

  const connect = async () => {
    if (stopped || ws) return;
    let client: Comet38Client | undefined;
    try {
      // WebsocketClient appends "/websocket" itself.
      const socket = new WebsocketClient(opts.wsUrl.replace(/\/websocket\/?$/, ""), (err: unknown) =>
        dropSocket(String((err as Error)?.message ?? err)),
      );
      client = Comet38Client.create(socket);
      const subscription = client.subscribeNewBlock().subscribe({
        next: (block) => {
          lastWsEventAt = Date.now();
          wsFailures = 0;
          see(BigInt(block.header.height));
        },
        error: (err: unknown) => dropSocket(String((err as Error)?.message ?? err)),
        complete: () => dropSocket("subscription completed"),
      });
      if (stopped) {
        subscription.unsubscribe();
        client.disconnect();
        return;
      }
      ws = { client, unsubscribe: () => subscription.unsubscribe() };
      lastWsEventAt = Date.now();
      // Liveness is judged by events: no NewBlock within wsStallMs drops the socket (see poll).
      opts.log.info("chain websocket subscribing to NewBlock", { url: opts.wsUrl });
    } catch (err) {
      wsFailures++;
      try {
        client?.disconnect();
      } catch {
        // Nothing to close.
      }
      opts.log.debug("chain websocket unavailable", { url: opts.wsUrl, error: (err as Error).message });
      scheduleReconnect();
    }
  };

  // Polls whenever the socket is down or quiet; it also catches up heights the socket skipped.
  let polling = false;
  const poll = async () => {
    if (stopped || polling) return;
    const quiet = Date.now() - lastWsEventAt > Math.max(opts.pollIntervalMs * 2, 1000);
    if (ws && !quiet) return;
    polling = true;
    try {
      see(BigInt((await http.status()).syncInfo.latestBlockHeight));
      if (ws && Date.now() - lastWsEventAt > opts.wsStallMs) dropSocket(`no NewBlock event for ${opts.wsStallMs} ms`);
    } catch (err) {
      opts.log.debug("chain status poll failed", { error: (err as Error).message });
    } finally {
      polling = false;
    }
  };
  const pollTimer = setInterval(() => void poll(), opts.pollIntervalMs);
  void poll();
  void connect();

  return {
    height: () => best,
    live: () => ws !== undefined,
    sinceLastBlockMs: () => Date.now() - lastNewAt,
    stop() {
      stopped = true;
      clearInterval(pollTimer);
      if (reconnectTimer) clearTimeout(reconnectTimer);
      const current = ws;
      ws = undefined;
      if (current) {
        current.unsubscribe();
        current.client.disconnect();
      }
      http.disconnect();
    },
  };
}
