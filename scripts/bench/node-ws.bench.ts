// `npm run bench -- node-ws`: the node's memory while websocket clients subscribe and stop reading.
// 40 clients x 100 subscriptions pause their sockets while blocks are produced every 100 ms; the RSS
// growth with the default limits is printed against the same run with the limits lifted (the old node).
import { mkdtemp, rm } from "node:fs/promises";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WebSocket } from "ws";
import { DEFAULT_RPC_LIMITS, initHome, type RpcLimits, startNode } from "../../src/node/index.js";
import { fmt } from "./util.js";

const CLIENTS = Number(process.env.NODE_WS_CLIENTS ?? 40);
const SUBSCRIPTIONS = 100;
const SECONDS = Number(process.env.NODE_WS_SECONDS ?? 20);
const rssMiB = () => process.memoryUsage().rss / 2 ** 20;

async function phase(name: string, limits: Partial<RpcLimits>): Promise<{ growth: number; dropped: number }> {
  const dir = await mkdtemp(join(tmpdir(), "pocval-bench-ws-"));
  const home = join(dir, "home");
  await initHome({ home, validators: 1, participants: 0 });
  let dropped = 0;
  const node = await startNode({
    home,
    rpc: "127.0.0.1:0",
    blockTimeMs: 100,
    rpcLimits: limits,
    log: (line) => {
      if (line.includes("dropped")) dropped++;
    },
  });
  const url = `${node.rpcUrl.replace("http", "ws")}/websocket`;
  const clients: WebSocket[] = [];
  for (let c = 0; c < CLIENTS; c++) {
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    ws.on("error", () => {});
    for (let i = 0; i < SUBSCRIPTIONS; i++) {
      const query = `tm.event='NewBlock' AND block.height>${i}`;
      ws.send(JSON.stringify({ jsonrpc: "2.0", id: i, method: "subscribe", params: { query } }));
    }
    clients.push(ws);
  }
  await new Promise((r) => setTimeout(r, 500));
  for (const ws of clients) (ws as unknown as { _socket: Socket })._socket.pause();
  global.gc?.();
  const start = rssMiB();
  let peak = start;
  let half = start;
  for (let s = 0; s < SECONDS; s++) {
    await new Promise((r) => setTimeout(r, 1000));
    peak = Math.max(peak, rssMiB());
    if (s + 1 === Math.floor(SECONDS / 2)) half = rssMiB();
  }
  const end = rssMiB();
  const growth = end - start;
  console.log(
    `${name}: rss ${fmt(start, 0)} -> ${fmt(half, 0)} at ${Math.floor(SECONDS / 2)} s -> ${fmt(end, 0)} MiB at ${SECONDS} s (peak ${fmt(peak, 0)}; second half +${fmt(end - half, 0)} MiB), ${dropped} of ${CLIENTS} paused clients dropped`,
  );
  for (const ws of clients) ws.terminate();
  await node.stop();
  await rm(dir, { recursive: true, force: true });
  return { growth, dropped };
}

export async function bench(): Promise<void> {
  console.log(`${CLIENTS} paused websocket clients x ${SUBSCRIPTIONS} subscriptions, a block every 100 ms`);
  // The bounded run first, so memory the unbounded run keeps cannot count against it.
  const bounded = await phase(`default limits (${DEFAULT_RPC_LIMITS.maxBufferedBytes >> 20} MiB per socket)`, {});
  const unbounded = await phase("limits lifted (the node before issue 11)", {
    maxBufferedBytes: Number.POSITIVE_INFINITY,
    maxWebsockets: 1_000,
  });
  console.log(
    `rss growth over ${SECONDS} s: ${fmt(bounded.growth, 0)} MiB bounded vs ${fmt(unbounded.growth, 0)} MiB unbounded (ratio ${fmt(bounded.growth / Math.max(1, unbounded.growth), 3)})`,
  );
}
