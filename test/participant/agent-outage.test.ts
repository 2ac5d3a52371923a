// The agent rides out a node outage: it retries with backoff and commits again once the node is back.
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startReferenceBackend } from "../../src/backend/index.js";
import { initHome, type RunningNode, startNode } from "../../src/node/index.js";
import { parseParticipantConfig, type RunningParticipant, startParticipant } from "../../src/participant/index.js";
import { tempDir } from "./helpers.js";

const timing = { stageLength: 20n, stageOffset: 2n, commitWindow: 10n, validationWindow: 4n };

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function until<T>(what: string, check: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("participant agent during a node outage", () => {
  const temp = tempDir();
  let node: RunningNode | undefined;
  let participant: RunningParticipant | undefined;
  let backend: Awaited<ReturnType<typeof startReferenceBackend>> | undefined;
  afterAll(async () => {
    await participant?.stop();
    await backend?.stop();
    await node?.stop();
    temp.remove();
  });

  it("logs chain retries while the node is down and commits again after it restarts", async () => {
    const home = join(temp.dir, "home");
    await initHome({ home, validators: 1, participants: 1, timing });
    const rpc = `127.0.0.1:${await freePort()}`;
    node = await startNode({ home, rpc, blockTimeMs: 120 });
    backend = await startReferenceBackend({ profile: "h100-fp8", noncesPerSecond: 3000 });
    const logs: { event: string; fields: Record<string, unknown> }[] = [];
    participant = await startParticipant(
      parseParticipantConfig({
        node: { rpcUrl: node.rpcUrl, pollIntervalMs: 40, requestTimeoutMs: 1000, broadcastTimeoutMs: 3000 },
        key: { keyFile: join(home, "keys", "participant-0.json") },
        backend: { url: backend.url, batchSize: 200 },
        dataDir: join(temp.dir, "data"),
        generation: { maxNonces: 2000, batchSize: 200 },
      }),
      { log: (event, fields = {}) => logs.push({ event, fields }) },
    );
    await until("a first commit", () => logs.find((l) => l.event === "committed"));

    await node.stop();
    node = undefined;
    const down = logs.length;
    await until("a chain retry", () => logs.slice(down).find((l) => l.event === "chain_retry"));
    node = await startNode({ home, rpc, blockTimeMs: 120 });
    const restartHeight = Number(node.height());
    // A commit sent after the restart, not one in flight before the outage.
    const commit = await until(
      "a commit after the restart",
      () => logs.find((l) => l.event === "committed" && Number(l.fields.height) > restartHeight + 1),
      40_000,
    );
    expect(Number(commit.fields.count)).toBeGreaterThan(0);
  }, 90_000);
});
