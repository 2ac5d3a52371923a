import { mkdtemp, readFile, rm } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SigningStargateClient } from "@cosmjs/stargate";
import { QueryBalanceRequest, QueryBalanceResponse } from "cosmjs-types/cosmos/bank/v1beta1/query";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { Request, Response } from "cosmjs-types/tendermint/abci/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consensusValidators, MAX_TOTAL_VOTING_POWER, parseAppGenesis } from "../../src/abci/genesis.js";
import { type AbciServer, createAbciApp, FrameReader, frame, startAbciServer } from "../../src/abci/index.js";
import { createPocvalRegistry } from "../../src/client/index.js";
import { initHome, type KeyFile, walletFromKeyFile } from "../../src/node/index.js";

/** An ABCI client over a real socket, as CometBFT's socket client speaks: one request, one response, in order. */
function abciClient(address: string) {
  const [host, port] = address.replace("tcp://", "").split(":");
  const socket: Socket = connect(Number(port), host);
  const reader = new FrameReader();
  const waiting: ((r: Response) => void)[] = [];
  socket.on("data", (chunk) => {
    for (const m of reader.push(chunk)) waiting.shift()!(Response.decode(m));
  });
  return {
    send: (req: object) =>
      new Promise<Response>((resolve) => {
        waiting.push(resolve);
        socket.write(frame(Request.encode(Request.fromPartial(req as never)).finish()));
      }),
    close: () => socket.destroy(),
  };
}

describe("the ABCI app over its socket", () => {
  let dir: string;
  let keys: KeyFile[];
  let appState: Uint8Array;
  let chainId: string;
  const servers: { server: AbciServer; close(): void }[] = [];

  const startApp = async (name: string) => {
    const app = await createAbciApp({ home: join(dir, name) });
    const server = await startAbciServer(app, "tcp://127.0.0.1:0");
    servers.push({ server, close: () => app.close() });
    return { app, server };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "pocval-abci-"));
    ({ keys } = await initHome({ home: join(dir, "node"), validators: 2, participants: 1 }));
    const genesis = JSON.parse(await readFile(join(dir, "node", "genesis.json"), "utf8"));
    chainId = genesis.chain_id;
    genesis.app_state.consensus = {
      validators: keys.slice(0, 2).map((k, i) => ({
        validator: k.address,
        pub_key: { type: "tendermint/PubKeyEd25519", value: Buffer.alloc(32, i + 1).toString("base64") },
      })),
    };
    appState = new TextEncoder().encode(JSON.stringify(genesis.app_state));
  });

  afterAll(async () => {
    for (const s of servers) {
      await s.server.close();
      s.close();
    }
    await rm(dir, { recursive: true, force: true });
  });

  it("runs InitChain, a block with a signed send, Commit and queries; two apps agree on every app hash; a restart reports the height", async () => {
    const [a, b] = [await startApp("a"), await startApp("b")];
    const [ca, cb] = [abciClient(a.server.address), abciClient(b.server.address)];
    const info0 = await ca.send({ info: {} });
    expect(info0.info?.lastBlockHeight).toBe(0n);

    const init = { initChain: { chainId, appStateBytes: appState, initialHeight: 1n, validators: [] } };
    const [ia, ib] = [await ca.send(init), await cb.send(init)];
    expect(Buffer.from(ia.initChain!.appHash).toString("hex")).toBe(Buffer.from(ib.initChain!.appHash).toString("hex"));
    // Voting power is the pocval stake of the mapped validator.
    expect(ia.initChain!.validators.map((v) => v.power)).toEqual([1_000_000n, 1_000_000n]);

    const [v0, p0] = [keys[0]!, keys.find((k) => k.name === "participant-0")!];
    const signer = await SigningStargateClient.offline(await walletFromKeyFile(v0), {
      registry: createPocvalRegistry(),
    });
    const raw = await signer.sign(
      v0.address,
      [
        {
          typeUrl: "/cosmos.bank.v1beta1.MsgSend",
          value: { fromAddress: v0.address, toAddress: p0.address, amount: [{ denom: "upoc", amount: "123" }] },
        },
      ],
      { amount: [{ denom: "upoc", amount: "5000" }], gas: "200000" },
      "",
      { accountNumber: 0n, sequence: 0, chainId },
    );
    const tx = TxRaw.encode(raw).finish();
    const check = await ca.send({ checkTx: { tx, type: 0 as const } });
    expect(check.checkTx?.code).toBe(0);
    const proposal = await ca.send({ prepareProposal: { txs: [tx], maxTxBytes: 1_000_000n, height: 1n } });
    expect(proposal.prepareProposal?.txs.length).toBe(1);
    const tooSmall = await ca.send({ prepareProposal: { txs: [tx], maxTxBytes: BigInt(tx.length), height: 1n } });
    expect(tooSmall.prepareProposal?.txs.length).toBe(0);

    const block = {
      finalizeBlock: {
        txs: [tx],
        height: 1n,
        hash: new Uint8Array(32).fill(7),
        time: { seconds: 1_800_000_000n, nanos: 0 },
        proposerAddress: new Uint8Array(20).fill(1),
      },
    };
    const [fa, fb] = [await ca.send(block), await cb.send(block)];
    expect(fa.finalizeBlock?.txResults.map((r) => r.code)).toEqual([0]);
    expect(fa.finalizeBlock!.txResults[0]!.events.some((e) => e.type === "transfer")).toBe(true);
    expect(Buffer.from(fa.finalizeBlock!.appHash)).toEqual(Buffer.from(fb.finalizeBlock!.appHash));
    // Not committed yet: the balance query still answers the genesis state.
    const balance = async () => {
      const q = await ca.send({
        query: {
          path: "/cosmos.bank.v1beta1.Query/Balance",
          data: QueryBalanceRequest.encode({ address: p0.address, denom: "upoc" }).finish(),
        },
      });
      expect(q.query?.code).toBe(0);
      return QueryBalanceResponse.decode(q.query!.value).balance!.amount;
    };
    expect(await balance()).toBe("1000000000000");
    await ca.send({ commit: {} });
    await cb.send({ commit: {} });
    expect(await balance()).toBe("1000000000123");
    const info1 = await ca.send({ info: {} });
    expect(info1.info?.lastBlockHeight).toBe(1n);
    expect(Buffer.from(info1.info!.lastBlockAppHash)).toEqual(Buffer.from(fa.finalizeBlock!.appHash));

    // A block that skips a height is an exception (CometBFT stops rather than fork).
    const skipped = await ca.send({ finalizeBlock: { ...block.finalizeBlock, txs: [], height: 3n } });
    expect(skipped.exception?.error).toMatch(/does not follow the committed height 1/);
    // Unknown query paths answer code 6 like the embedded node.
    const unknown = await ca.send({ query: { path: "/nope", data: new Uint8Array() } });
    expect(unknown.query?.code).toBe(6);
    ca.close();
    cb.close();

    // Reopened on the same home, the app reports what it committed: the handshake replays the rest.
    const closing = servers.shift()!;
    await closing.server.close();
    closing.close();
    const again = await startApp("a");
    const cc = abciClient(again.server.address);
    const info2 = await cc.send({ info: {} });
    expect(info2.info?.lastBlockHeight).toBe(1n);
    expect(Buffer.from(info2.info!.lastBlockAppHash)).toEqual(Buffer.from(fa.finalizeBlock!.appHash));
    cc.close();
  }, 60_000);

  it("refuses stakes whose sum CometBFT cannot hold as voting power (MaxInt64 / 8)", async () => {
    const home = join(dir, "big");
    const stakes = [2n ** 59n, 2n ** 59n, 1n];
    const { keys: big } = await initHome({ home, validators: 3, stakes, participants: 0 });
    const genesis = JSON.parse(await readFile(join(home, "genesis.json"), "utf8"));
    const consensus = (n: number) => ({
      validators: big.slice(0, n).map((k, i) => ({
        validator: k.address,
        pub_key: { type: "tendermint/PubKeyEd25519", value: Buffer.alloc(32, i + 1).toString("base64") },
      })),
    });
    // 2^59 + 2^59 + 1 is above the limit 2^60 - 1; one validator alone fits.
    expect(MAX_TOTAL_VOTING_POWER).toBe(1152921504606846975n);
    const all = parseAppGenesis({ chain_id: "c", app_state: { ...genesis.app_state, consensus: consensus(3) } }, "g");
    expect(() => consensusValidators(all)).toThrow(/maximum total voting power 1152921504606846975/);
    const one = parseAppGenesis({ chain_id: "c", app_state: { ...genesis.app_state, consensus: consensus(1) } }, "g");
    expect(consensusValidators(one).map((v) => v.power)).toEqual([2n ** 59n]);
  });
});
