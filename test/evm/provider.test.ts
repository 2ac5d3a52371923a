import { createServer, type Server } from "node:http";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PatientJsonRpcProvider } from "../../src/evm/index.js";
import { freePort } from "../../src/localnet/ports.js";
import { listen } from "../../src/net/index.js";

/** A minimal JSON-RPC node on loopback: chain id 31337 and a block number that counts up. */
function fakeNode(): Server {
  let block = 7;
  return createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      const calls = [JSON.parse(body)].flat() as { id: number; method: string }[];
      const answer = calls.map(({ id, method }) =>
        method === "eth_chainId"
          ? { jsonrpc: "2.0", id, result: "0x7a69" }
          : method === "eth_blockNumber"
            ? { jsonrpc: "2.0", id, result: `0x${(block++).toString(16)}` }
            : { jsonrpc: "2.0", id, error: { code: -32601, message: `no ${method}` } },
      );
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(Array.isArray(JSON.parse(body)) ? answer : answer[0]));
    });
  });
}

const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
  vi.restoreAllMocks();
});

describe("PatientJsonRpcProvider", () => {
  it("waits for a node that is not up yet, reporting each try, without ethers' stdout line", async () => {
    const printed = vi.spyOn(console, "log");
    const port = await freePort();
    const waits: number[] = [];
    const provider = new PatientJsonRpcProvider(`http://127.0.0.1:${port}`, {
      onWaiting: (err, attempt) => {
        expect(err.message).toMatch(/ECONNREFUSED|connect/);
        waits.push(attempt);
      },
      maxDelayMs: 200,
    });
    closers.push(() => provider.destroy());
    // Detection waits (ethers would print a line a second here); a plain request still fails at once.
    const network = provider.getNetwork();
    await expect(provider.getBlockNumber()).rejects.toThrow(/ECONNREFUSED/);
    await vi.waitFor(() => expect(waits.length).toBeGreaterThanOrEqual(3), { timeout: 10_000 });
    expect(waits.slice(0, 3)).toEqual([1, 2, 3]);
    // The node comes up on that port: the waiting detection is answered.
    const node = fakeNode();
    await listen(node, "127.0.0.1", port);
    closers.push(() => node.close());
    expect((await network).chainId).toBe(31337n);
    expect(await provider.getBlockNumber()).toBeGreaterThanOrEqual(7);
    expect(printed.mock.calls.filter((c) => String(c[0]).includes("failed to detect network"))).toEqual([]);
  });

  it("after the node has answered once, an outage fails requests instead of waiting", async () => {
    const node = fakeNode();
    const { port } = await listen(node, "127.0.0.1", 0);
    const waits: number[] = [];
    const provider = new PatientJsonRpcProvider(`http://127.0.0.1:${port}`, { onWaiting: (_e, a) => waits.push(a) });
    closers.push(() => provider.destroy());
    expect(await provider.getBlockNumber()).toBeGreaterThanOrEqual(7);
    node.closeAllConnections();
    await new Promise<void>((resolve) => node.close(() => resolve()));
    await expect(provider.getBlockNumber()).rejects.toThrow();
    expect(waits).toEqual([]);
  });
});
