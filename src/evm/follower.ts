// Block following on an EVM node: new heights by eth_subscribe("newHeads") over websocket, or by
// polling over HTTP. It does not reconnect by itself (the sidecar's chain-evm.ts does).
import type { JsonRpcProvider, WebSocketProvider } from "ethers";
import { websocketProvider } from "./connection.js";
import { PatientJsonRpcProvider } from "./provider.js";

/**
 * Follows new block heights by eth_subscribe("newHeads") over websocket, or by polling over HTTP.
 * A socket error (a refused connection, a dropped one) goes to onError instead of being thrown
 * from the socket; the follower does not reconnect by itself.
 */
export function followEvmBlocks(opts: {
  url: string;
  pollIntervalMs?: number;
  onHeight: (height: bigint) => void;
  onError?: (err: Error) => void;
}): {
  height(): bigint;
  stop(): void;
} {
  // Polling over http: a node not up yet is waited for, each try reported as an error.
  let best = 0n;
  const see = (h: bigint) => {
    if (h <= best) return;
    best = h;
    opts.onHeight(h);
  };
  const provider: JsonRpcProvider | WebSocketProvider = opts.url.startsWith("ws")
    ? websocketProvider(opts.url, (err) => opts.onError?.(err))
    : new PatientJsonRpcProvider(opts.url, {
        pollingInterval: opts.pollIntervalMs ?? 500,
        onWaiting: (err) => opts.onError?.(err),
      });
  // ethers subscribes with eth_subscribe on a websocket provider and polls eth_blockNumber otherwise.
  void provider.on("block", (n: number) => see(BigInt(n)));
  return {
    height: () => best,
    stop() {
      // Over websocket the eth_unsubscribe goes out unawaited: a request after it is answered after
      // it, so the socket closes with nothing outstanding (an ethers rejection nobody catches otherwise).
      void provider
        .removeAllListeners()
        .then(() => provider.send("eth_blockNumber", []))
        .catch(() => undefined)
        .finally(() => provider.destroy());
    },
  };
}
