import { Comet38Client, connectComet } from "@cosmjs/tendermint-rpc";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { MAX_TX_BYTES } from "../../src/app/index.js";
import { initHome, type KeyFile, type RunningNode, startNode } from "../../src/node/index.js";
import { MAX_BODY_BYTES } from "../../src/node/rpc-server.js";
import { until } from "../sidecar/integration-helpers.js";
import { keyNamed, rpcPost, signingClient, tempHome } from "./helpers.js";

interface RpcReply {
  jsonrpc: string;
  id: unknown;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data: string };
}

/** The value at a dotted path of a JSON answer, undefined where the path breaks off. */
function dig(value: unknown, path: string): unknown {
  let at = value;
  for (const key of path.split(".")) {
    if (typeof at !== "object" || at === null) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

describe("the JSON-RPC server", () => {
  let cleanup: () => Promise<void>;
  let keys: KeyFile[];
  let node: RunningNode;

  beforeAll(async () => {
    const t = await tempHome();
    cleanup = t.cleanup;
    ({ keys } = await initHome({ home: t.home, validators: 1, participants: 1 }));
    node = await startNode({ home: t.home, rpc: "127.0.0.1:0", blockTimeMs: 100 });
  });

  afterAll(async () => {
    await node?.stop();
    await cleanup?.();
  });

  const call = async (method: string, params: unknown = {}) =>
    (await rpcPost(node.rpcUrl, JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }))).json as RpcReply;
  const stillServing = async () => {
    const r = await call("status");
    expect(Number(dig(r.result, "sync_info.latest_block_height"))).toBeGreaterThan(0);
  };

  it("answers garbage JSON with a parse error and keeps serving", async () => {
    for (const body of ["{", "not json", '{"jsonrpc":"2.0","id":1,"method":', "\u0000\u0001"]) {
      const r = await rpcPost(node.rpcUrl, body);
      expect(r.status).toBe(200);
      expect((r.json as RpcReply).error?.code).toBe(-32700);
    }
    await stillServing();
  });

  it("answers unknown methods, bad requests and bad params with JSON-RPC errors", async () => {
    expect((await call("no_such_method")).error?.code).toBe(-32601);
    expect((await call("__proto__")).error?.code).toBe(-32601);
    expect(((await rpcPost(node.rpcUrl, "[]")).json as RpcReply).error?.code).toBe(-32600);
    expect(((await rpcPost(node.rpcUrl, '"x"')).json as RpcReply).error?.code).toBe(-32600);
    expect(((await rpcPost(node.rpcUrl, '{"id":3,"method":"status"}')).json as RpcReply).error?.code).toBe(-32600);
    const bad = await call("block", { height: "minus one" });
    expect(bad.error?.code).toBe(-32602);
    expect(bad.error?.data).toContain("height");
    expect((await call("tx_search", { query: "tx.height=" })).error?.code).toBe(-32602);
    expect((await call("broadcast_tx_sync", { tx: "***" })).error?.data).toContain("tx");
    expect((await call("block", { height: "999999" })).error?.data).toMatch(/must be less than or equal/);
    await stillServing();
  });

  it("refuses a body over the cap with 413 and keeps serving", async () => {
    const huge = `{"jsonrpc":"2.0","id":1,"method":"broadcast_tx_sync","params":{"tx":"${"A".repeat(MAX_BODY_BYTES)}"}}`;
    const r = await rpcPost(node.rpcUrl, huge);
    expect(r.status).toBe(413);
    expect((r.json as RpcReply).error?.code).toBe(-32600);
    await stillServing();
  });

  it("answers malformed tx bytes with code 2 and an oversized tx with code 21", async () => {
    const garbage = await call("broadcast_tx_sync", { tx: Buffer.from([1, 2, 3, 250, 251]).toString("base64") });
    expect(garbage.result?.code).toBe(2);
    expect(garbage.result?.codespace).toBe("sdk");
    // CometBFT 0.38's ResultBroadcastTx, key for key (data is hex, "" when empty).
    expect(Object.keys(garbage.result as object)).toEqual(["code", "data", "log", "codespace", "hash"]);
    expect(dig(garbage.result, "data")).toBe("");
    const empty = await call("broadcast_tx_sync", { tx: "" });
    expect(empty.result?.code).toBe(2);
    const big = await call("broadcast_tx_commit", { tx: Buffer.alloc(MAX_TX_BYTES + 10, 0x0a).toString("base64") });
    expect(dig(big.result, "check_tx.code")).toBe(21);
    await stillServing();
  });

  it("never crashes on random JSON-RPC requests or random tx bytes", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          "status",
          "block",
          "tx",
          "tx_search",
          "abci_query",
          "broadcast_tx_sync",
          "blockchain",
          "validators",
        ),
        fc.jsonValue(),
        async (method, params) => {
          const r = (await rpcPost(node.rpcUrl, JSON.stringify({ jsonrpc: "2.0", id: 9, method, params })))
            .json as RpcReply;
          expect(r.id).toBe(9);
          expect(r.result !== undefined || r.error !== undefined).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
        const r = await call("broadcast_tx_sync", { tx: Buffer.from(bytes).toString("base64") });
        if (r.error) expect(r.error.data).toMatch(/already exists/);
        else expect(r.result?.code).not.toBe(0);
      }),
      { numRuns: 150 },
    );
    await stillServing();
  });

  it("serves the URI form over GET and batches over POST", async () => {
    const status = (await (await fetch(`${node.rpcUrl}/status`)).json()) as RpcReply;
    expect(dig(status.result, "node_info.version")).toMatch(/^0\.38\./);
    const block = (await (await fetch(`${node.rpcUrl}/block?height=1`)).json()) as RpcReply;
    expect(dig(block.result, "block.header.height")).toBe("1");
    const search = (await (await fetch(`${node.rpcUrl}/tx_search?query="tx.height=1"`)).json()) as RpcReply;
    expect(search.result?.total_count).toBe("0");
    const batch = await rpcPost(
      node.rpcUrl,
      JSON.stringify([
        { jsonrpc: "2.0", id: 1, method: "health" },
        { jsonrpc: "2.0", id: 2, method: "abci_info" },
      ]),
    );
    expect((batch.json as RpcReply[]).map((r) => r.id)).toEqual([1, 2]);
  });

  it("serves every read cosmjs's comet38 client makes", async () => {
    const comet = await connectComet(node.rpcUrl);
    const status = await comet.status();
    expect(status.nodeInfo.network).toBe(node.chainId);
    await comet.health();
    const info = await comet.abciInfo();
    expect(info.lastBlockHeight).toBeGreaterThan(0);
    const block = await comet.block(1);
    const results = await comet.blockResults(1);
    expect(results.height).toBe(1);
    const chain = await comet.blockchain(1, 3);
    expect(chain.blockMetas.map((m) => m.header.height)).toEqual([3, 2, 1]);
    expect(chain.blockMetas[2]!.blockId.hash).toEqual(block.blockId.hash);
    const next = await comet.block(2);
    expect(next.block.header.lastBlockId?.hash).toEqual(block.blockId.hash);
    const validators = await comet.validatorsAll();
    expect(validators.validators).toHaveLength(1);
    const genesis = await comet.genesis();
    expect(genesis.chainId).toBe(node.chainId);
    const commit = await comet.commit(2);
    expect(commit.header.height).toBe(2);
    expect((await comet.numUnconfirmedTxs()).total).toBeGreaterThanOrEqual(0);
    comet.disconnect();
  });

  it("broadcast_tx_commit waits for the block and answers its DeliverTx result", async () => {
    const sender = keyNamed(keys, "participant-0");
    const client = await signingClient(node.rpcUrl, sender);
    const msg = {
      typeUrl: "/cosmos.bank.v1beta1.MsgSend",
      value: { fromAddress: sender.address, toAddress: sender.address, amount: [{ denom: "upoc", amount: "1" }] },
    };
    const raw = await client.sign(
      sender.address,
      [msg],
      { amount: [{ denom: "upoc", amount: "3000" }], gas: "300000" },
      "",
    );
    const comet = await Comet38Client.connect(node.rpcUrl);
    const r = await comet.broadcastTxCommit({ tx: TxRaw.encode(raw).finish() });
    expect(r.checkTx.code).toBe(0);
    expect(r.txResult?.code).toBe(0);
    expect(r.height).toBeGreaterThan(0);
    const found = await comet.tx({ hash: r.hash });
    expect(found.height).toBe(r.height);
    const hex = Buffer.from(r.hash).toString("hex");
    const byUri = (await (await fetch(`${node.rpcUrl}/tx?hash=0x${hex}`)).json()) as RpcReply;
    expect(dig(byUri.result, "height")).toBe(String(r.height));
    // The same bytes again: CometBFT's "tx already exists in cache".
    await expect(comet.broadcastTxSync({ tx: TxRaw.encode(raw).finish() })).rejects.toThrow(/already exists/);
    comet.disconnect();
    client.disconnect();
  });

  it("pushes NewBlock and Tx events to websocket subscribers", async () => {
    const ws = await connectComet(node.rpcUrl.replace(/^http/, "ws"));
    const sender = keyNamed(keys, "validator-0");
    const blocks: number[] = [];
    const blockSub = ws.subscribeNewBlock().subscribe({ next: (b) => blocks.push(b.header.height) });
    const txs: string[] = [];
    const txSub = ws
      .subscribeTx(`message.sender='${sender.address}'`)
      .subscribe({ next: (t) => txs.push(Buffer.from(t.hash).toString("hex").toUpperCase()) });
    // Both subscriptions are live once the first block arrives (they are sent in order).
    await until("the first NewBlock event", () => (blocks.length > 0 ? true : undefined));
    const client = await signingClient(node.rpcUrl, sender);
    const sent = await client.sendTokens(
      sender.address,
      keyNamed(keys, "participant-0").address,
      [{ denom: "upoc", amount: "5" }],
      "auto",
    );
    await until("the Tx event and three blocks", () =>
      txs.includes(sent.transactionHash) && blocks.length > 2 ? true : undefined,
    );
    expect(blocks.length).toBeGreaterThan(2);
    expect(blocks).toEqual([...blocks].sort((a, b) => a - b));
    expect(txs).toContain(sent.transactionHash);
    blockSub.unsubscribe();
    txSub.unsubscribe();
    client.disconnect();
    ws.disconnect();
  });

  it("answers garbage over the websocket, drops oversized frames, and keeps serving", async () => {
    const socket = new WebSocket(`${node.rpcUrl.replace(/^http/, "ws")}/websocket`);
    await new Promise((resolve, reject) => {
      socket.once("open", resolve);
      socket.once("error", reject);
    });
    const replies: RpcReply[] = [];
    socket.on("message", (data) => replies.push(JSON.parse(data.toString()) as RpcReply));
    socket.send("{nope");
    socket.send(JSON.stringify({ jsonrpc: "2.0", id: 5, method: "subscribe", params: { query: "tm.event=" } }));
    socket.send(JSON.stringify({ jsonrpc: "2.0", id: 6, method: "unsubscribe", params: { query: "tm.event='Tx'" } }));
    socket.send(JSON.stringify({ jsonrpc: "2.0", id: 7, method: "status" }));
    await until("the four replies", () => (replies.length >= 4 ? true : undefined));
    expect(replies.find((r) => r.id === null)?.error?.code).toBe(-32700);
    expect(replies.find((r) => r.id === 5)?.error?.code).toBe(-32602);
    expect(replies.find((r) => r.id === 6)?.error?.data).toMatch(/subscription not found/);
    expect(dig(replies.find((r) => r.id === 7)?.result, "node_info.network")).toBe(node.chainId);
    const closed = new Promise<number>((resolve) => socket.once("close", resolve));
    socket.send("x".repeat(MAX_BODY_BYTES + 1));
    expect(await closed).toBe(1009);
    await stillServing();
  });
});
