import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { initHome, type RunningNode, startNode } from "../../src/node/index.js";
import { rpcPost, tempHome } from "./helpers.js";

/** A raw TCP connection to the node that records what it receives and when it is closed. */
function rawClient(url: string): Promise<{ socket: Socket; received: () => string; closed: Promise<number> }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let text = "";
    socket.on("data", (d) => {
      text += d.toString();
    });
    const opened = Date.now();
    const closed = new Promise<number>((r) => socket.once("close", () => r(Date.now() - opened)));
    socket.once("error", () => {});
    socket.once("connect", () => resolve({ socket, received: () => text, closed }));
    socket.once("error", reject);
  });
}

const within = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([
    p,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms)),
  ]);

describe("the node RPC under slow and stalled clients", () => {
  let node: RunningNode;
  let cleanup: () => Promise<void>;
  const logs: string[] = [];

  beforeAll(async () => {
    const t = await tempHome();
    cleanup = t.cleanup;
    await initHome({ home: t.home, validators: 1, participants: 0 });
    node = await startNode({
      home: t.home,
      rpc: "127.0.0.1:0",
      blockTimeMs: 50,
      log: (line) => logs.push(line),
      rpcLimits: {
        headersTimeoutMs: 1_000,
        requestTimeoutMs: 2_000,
        checkIntervalMs: 200,
        maxConnections: 40,
        maxWebsockets: 3,
        maxBufferedBytes: 512 * 1024,
        maxPendingBodyBytes: 1 << 20,
      },
    });
  });
  afterAll(async () => {
    await node?.stop();
    await cleanup?.();
  });

  const serving = async () => {
    const r = await rpcPost(node.rpcUrl, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "health", params: {} }));
    expect(r.status).toBe(200);
  };

  it("closes connections whose body or headers stall, answering 408", async () => {
    const clients = await Promise.all(Array.from({ length: 10 }, () => rawClient(node.rpcUrl)));
    clients.forEach((c, i) => {
      if (i % 2 === 0) {
        // A body announced at 1 MB of which 100 kB arrive, then nothing.
        c.socket.write(
          `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n`,
        );
        c.socket.write("x".repeat(100_000));
      } else {
        c.socket.write("POST / HTTP/1.1\r\nHost: x\r\n"); // headers that never end
      }
    });
    const held = await within(Promise.all(clients.map((c) => c.closed)), 20_000, "every stalled connection closed");
    for (const ms of held) expect(ms).toBeLessThan(10_000);
    for (const c of clients) expect(c.received()).toMatch(/^HTTP\/1\.1 408/);
    await serving();
  }, 30_000);

  it("refuses bodies beyond the server's budget of unfinished bodies with 503", async () => {
    // Four stalled bodies of 300 kB: the fourth would take the pending bytes past 1 MiB.
    const clients = await Promise.all(Array.from({ length: 4 }, () => rawClient(node.rpcUrl)));
    for (const c of clients) {
      c.socket.write(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n`);
      c.socket.write("x".repeat(300_000));
      await new Promise((r) => setTimeout(r, 100));
    }
    await within(clients[3]!.closed, 10_000, "the fourth body refused");
    expect(clients[3]!.received()).toMatch(/^HTTP\/1\.1 503/);
    expect(clients[3]!.received()).toContain("unfinished bodies");
    for (const c of clients) c.socket.destroy();
    await serving();
  }, 30_000);

  it("refuses connections beyond its cap and serves again once they are gone", async () => {
    const clients = await Promise.all(Array.from({ length: 40 }, () => rawClient(node.rpcUrl)));
    const extra = await rawClient(node.rpcUrl);
    // Over the cap: closed by the server at once, without an answer.
    expect(await within(extra.closed, 5_000, "the connection over the cap closed")).toBeLessThan(5_000);
    expect(extra.received()).toBe("");
    for (const c of clients) c.socket.destroy();
    await Promise.all(clients.map((c) => c.closed));
    await new Promise((r) => setTimeout(r, 100));
    await serving();
  }, 30_000);

  it("caps websockets, and drops a subscriber that stops reading while keeping those that read", async () => {
    const wsUrl = `${node.rpcUrl.replace("http", "ws")}/websocket`;
    const open = (url: string) =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(url);
        ws.once("open", () => resolve(ws));
        ws.once("error", reject);
      });
    const subscribeMany = async (ws: WebSocket, n: number) => {
      for (let i = 0; i < n; i++) {
        ws.send(
          JSON.stringify({
            jsonrpc: "2.0",
            id: i,
            method: "subscribe",
            params: { query: `tm.event='NewBlock' AND block.height>${i}` },
          }),
        );
      }
    };
    const held = await Promise.all([open(wsUrl), open(wsUrl), open(wsUrl)]);
    await expect(open(wsUrl)).rejects.toThrow(/503/);
    for (const ws of held) ws.close();
    await Promise.all(held.map((ws) => new Promise((r) => (ws.readyState === ws.CLOSED ? r(0) : ws.once("close", r)))));
    await new Promise((r) => setTimeout(r, 100));
    const slow = await open(wsUrl);
    const reader = await open(wsUrl);

    let readerEvents = 0;
    reader.on("message", () => {
      readerEvents++;
    });
    await subscribeMany(reader, 1);
    await subscribeMany(slow, 100);
    // Stop reading: the kernel buffers fill, then the server's queue for this socket would grow.
    await new Promise((r) => setTimeout(r, 300));
    (slow as unknown as { _socket: Socket })._socket.pause();
    const slowClosed = new Promise<void>((r) => slow.once("close", () => r()));
    await within(
      (async () => {
        while (!logs.some((l) => l.includes("dropped"))) await new Promise((r) => setTimeout(r, 100));
      })(),
      60_000,
      "the slow websocket dropped",
    );
    (slow as unknown as { _socket: Socket })._socket.resume();
    await within(slowClosed, 10_000, "the slow websocket closed");
    const drop = logs.find((l) => l.includes("dropped"))!;
    const unread = Number(drop.match(/dropped: (\d+) bytes unread/)![1]);
    // Bounded: the limit plus at most one block's events for one socket.
    expect(unread).toBeGreaterThan(512 * 1024);
    expect(unread).toBeLessThan((512 * 1024 + 2) << 20);
    const before = readerEvents;
    await new Promise((r) => setTimeout(r, 500));
    expect(readerEvents).toBeGreaterThan(before);
    reader.close();
  }, 90_000);
});
