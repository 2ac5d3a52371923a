// The block follower against a real localnet node: over websocket when it works, by polling when
// the websocket endpoint is dead.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initHome, type RunningNode, startNode } from "../../src/node/index.js";
import { followBlocks } from "../../src/sidecar/chain-cosmos.js";
import { createLogger, websocketUrl } from "../../src/sidecar/index.js";
import { collectLines, devNull, tempDir, until } from "./integration-helpers.js";

describe("websocketUrl", () => {
  it("derives the websocket endpoint from the RPC URL", () => {
    expect(websocketUrl("http://127.0.0.1:26657")).toBe("ws://127.0.0.1:26657/websocket");
    expect(websocketUrl("https://rpc.example.org/")).toBe("wss://rpc.example.org/websocket");
  });
});

describe("followBlocks", () => {
  const temp = tempDir();
  let node: RunningNode;
  beforeAll(async () => {
    const home = join(temp.dir, "home");
    await initHome({ home, validators: 1, participants: 0 });
    node = await startNode({ home, rpc: "127.0.0.1:0", blockTimeMs: 100 });
  });
  afterAll(async () => {
    await node?.stop();
    temp.remove();
  });
  const log = createLogger({ level: "silent", progress: "off", stream: devNull() });

  it("follows NewBlock events over the websocket, each height once and in order", async () => {
    const heights: bigint[] = [];
    const follower = followBlocks({
      rpcUrl: node.rpcUrl,
      wsUrl: websocketUrl(node.rpcUrl),
      timeoutMs: 2000,
      pollIntervalMs: 5_000,
      wsStallMs: 5_000,
      log,
      onHeight: (h) => heights.push(h),
    });
    try {
      await until("ten heights", () => (heights.length >= 10 ? true : undefined), 10_000);
      expect(follower.live()).toBe(true);
      for (let i = 1; i < heights.length; i++) expect(heights[i]!).toBeGreaterThan(heights[i - 1]!);
    } finally {
      follower.stop();
    }
  });

  it("reconnects by itself after the node restarts", async () => {
    const heights: bigint[] = [];
    const lines: string[] = [];
    const follower = followBlocks({
      rpcUrl: node.rpcUrl,
      wsUrl: websocketUrl(node.rpcUrl),
      timeoutMs: 1000,
      pollIntervalMs: 100,
      wsStallMs: 1000,
      log: createLogger({ level: "info", progress: "off", stream: collectLines(lines) }),
      onHeight: (h) => heights.push(h),
    });
    try {
      await until("the websocket", () => (follower.live() && heights.length > 2 ? true : undefined), 10_000);
      const port = new URL(node.rpcUrl).port;
      await node.stop();
      const before = heights.at(-1)!;
      node = await startNode({ home: join(temp.dir, "home"), rpc: `127.0.0.1:${port}`, blockTimeMs: 100 });
      await until("new heights after the restart", () => (heights.at(-1)! >= before + 5n ? true : undefined), 15_000);
      await until("the websocket again", () => (follower.live() ? true : undefined), 15_000);
      const seen = heights.length;
      await until("events flowing", () => (heights.length >= seen + 3 ? true : undefined), 10_000);
      const msgs = lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
      const lost = msgs.indexOf("chain websocket lost; polling");
      expect(lost).toBeGreaterThan(0);
      expect(msgs.slice(lost)).toContain("chain websocket subscribing to NewBlock");
    } finally {
      follower.stop();
    }
  });

  it("falls back to polling when the websocket endpoint is dead", async () => {
    const heights: bigint[] = [];
    const follower = followBlocks({
      rpcUrl: node.rpcUrl,
      wsUrl: "ws://127.0.0.1:1/websocket",
      timeoutMs: 2000,
      pollIntervalMs: 50,
      wsStallMs: 500,
      log,
      onHeight: (h) => heights.push(h),
    });
    try {
      const start = node.height();
      await until(
        "five new heights by polling",
        () => (heights.some((h) => h >= start + 5n) ? true : undefined),
        10_000,
      );
      expect(follower.live()).toBe(false);
      expect(new Set(heights).size).toBe(heights.length);
    } finally {
      follower.stop();
    }
  });
});
