import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { SigningStargateClient } from "@cosmjs/stargate";
import { BaseAccount } from "cosmjs-types/cosmos/auth/v1beta1/auth";
import { QueryAccountRequest, QueryAccountResponse } from "cosmjs-types/cosmos/auth/v1beta1/query";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, AppError, openApp } from "../../src/app/index.js";
import { createPocvalRegistry, typeUrls } from "../../src/client/index.js";
import { initHome, type KeyFile, parseNodeGenesis, walletFromKeyFile } from "../../src/node/index.js";
import { keyNamed, tempHome } from "../node/helpers.js";

const fee = { amount: [{ denom: "upoc", amount: "5000" }], gas: "200000" };

describe("the application state machine", () => {
  let cleanup: () => Promise<void>;
  let home: string;
  let keys: KeyFile[];
  let genesisText: string;
  const apps: App[] = [];

  const open = (dbPath = ":memory:", digest = "d1") => {
    const { genesis, pocval } = parseNodeGenesis(genesisText, "genesis.json");
    const app = openApp({ dbPath, genesis, pocvalGenesis: pocval, genesisDigest: digest });
    apps.push(app);
    return app;
  };

  const accountOf = (app: App, address: string) => {
    const r = app.query("/cosmos.auth.v1beta1.Query/Account", QueryAccountRequest.encode({ address }).finish());
    expect(r.code).toBe(0);
    return BaseAccount.decode(QueryAccountResponse.decode(r.value).account!.value);
  };

  /** A signed tx, built offline with cosmjs exactly as a wallet would. */
  const signTx = async (
    app: App,
    key: KeyFile,
    msgs: { typeUrl: string; value: unknown }[],
    sequence?: number,
    memo = "",
  ) => {
    const wallet = await walletFromKeyFile(key);
    const signer = await SigningStargateClient.offline(wallet, { registry: createPocvalRegistry() });
    const account = accountOf(app, key.address);
    const raw = await signer.sign(key.address, msgs, fee, memo, {
      accountNumber: account.accountNumber,
      sequence: sequence ?? Number(account.sequence),
      chainId: app.chainId,
    });
    return TxRaw.encode(raw).finish();
  };

  beforeAll(async () => {
    const t = await tempHome();
    cleanup = t.cleanup;
    home = t.home;
    ({ keys } = await initHome({ home, validators: 2, participants: 1 }));
    genesisText = await readFile(join(home, "genesis.json"), "utf8");
  });

  afterAll(async () => {
    for (const app of apps) app.close();
    await cleanup?.();
  });

  it("gives the same app hashes and block hashes for the same blocks, and different ones otherwise", async () => {
    const [a, b, c] = [open(), open(), open()];
    expect(Buffer.from(a.appHash())).toEqual(Buffer.from(b.appHash()));
    const p0 = keyNamed(keys, "participant-0");
    const v0 = keyNamed(keys, "validator-0");
    const send = {
      typeUrl: "/cosmos.bank.v1beta1.MsgSend",
      value: { fromAddress: v0.address, toAddress: p0.address, amount: [{ denom: "upoc", amount: "9" }] },
    };
    const register = {
      typeUrl: typeUrls.registerParticipant,
      value: { creator: p0.address, pocPublicKey: "k", proofApiUrl: "http://p" },
    };
    const txs = [await signTx(a, v0, [send]), await signTx(a, p0, [register])];
    const time = Date.parse("2026-01-01T00:00:00Z");
    const [ba, bb] = [a.commitBlock(txs, time), b.commitBlock(txs, time)];
    expect(ba.results.map((r) => r.code)).toEqual([0, 0]);
    expect(ba.block.hash).toBe(bb.block.hash);
    expect(ba.block.header.appHash).toBe(bb.block.header.appHash);
    const bc = c.commitBlock(txs.slice(0, 1), time);
    expect(bc.block.header.appHash).not.toBe(ba.block.header.appHash);
    // Empty blocks still chain: each app hash commits to the one before.
    const [na, nb] = [a.commitBlock([], time + 1000), b.commitBlock([], time + 1000)];
    expect(na.block.header.appHash).toBe(nb.block.header.appHash);
    expect(na.block.header.appHash).not.toBe(ba.block.header.appHash);
    expect(na.block.header.lastBlockHash).toBe(ba.block.hash);
  });

  it("finalizes a block without writing anything; commit persists exactly that block", async () => {
    const app = open();
    const v0 = keyNamed(keys, "validator-0");
    const p0 = keyNamed(keys, "participant-0");
    const send = {
      typeUrl: "/cosmos.bank.v1beta1.MsgSend",
      value: { fromAddress: v0.address, toAddress: p0.address, amount: [{ denom: "upoc", amount: "7" }] },
    };
    const tx = await signTx(app, v0, [send]);
    const genesisHash = Buffer.from(app.appHash()).toString("hex");
    const info = {
      timeMs: Date.parse("2026-01-01T00:00:00Z"),
      hash: "ab".repeat(32),
      proposerAddress: "CD".repeat(20),
    };
    const first = app.finalizeBlock([tx], info);
    const again = app.finalizeBlock([tx], info);
    // Nothing persisted: same height, same app hash, same sequence, and a replay gives the same block.
    expect(app.height()).toBe(0n);
    expect(Buffer.from(app.appHash()).toString("hex")).toBe(genesisHash);
    expect(accountOf(app, v0.address).sequence).toBe(0n);
    expect(app.blocks.latestHeight()).toBe(0n);
    expect(again.block.header.appHash).toBe(first.block.header.appHash);
    expect(first.results.map((r) => r.code)).toEqual([0]);
    // The engine's block hash and proposer are kept as given.
    expect(first.block.hash).toBe(info.hash);
    expect(first.block.header.proposerAddress).toBe(info.proposerAddress);
    const committed = app.commit(first);
    expect(app.height()).toBe(1n);
    expect(Buffer.from(app.appHash()).toString("hex")).toBe(committed.block.header.appHash);
    expect(accountOf(app, v0.address).sequence).toBe(1n);
    expect(app.blocks.block(1n)?.hash).toBe(info.hash);
    // A finalized block that no longer follows the committed height is refused.
    expect(() => app.commit(again)).toThrow(/does not follow/);
  });

  it("tracks sequences in the check state so one account can queue several txs", async () => {
    const app = open();
    const v1 = keyNamed(keys, "validator-1");
    const send = {
      typeUrl: "/cosmos.bank.v1beta1.MsgSend",
      value: { fromAddress: v1.address, toAddress: v1.address, amount: [{ denom: "upoc", amount: "1" }] },
    };
    const first = await signTx(app, v1, [send], 0);
    const second = await signTx(app, v1, [send], 1);
    const stale = await signTx(
      app,
      v1,
      [{ ...send, value: { ...send.value, amount: [{ denom: "upoc", amount: "2" }] } }],
      0,
    );
    expect(app.checkTx(first).code).toBe(0);
    expect(app.checkTx(second).code).toBe(0);
    expect(app.checkTx(stale)).toMatchObject({
      code: 32,
      log: "account sequence mismatch, expected 2, got 0: incorrect account sequence",
    });
    const committed = app.commitBlock([first, second], Date.now());
    expect(committed.results.map((r) => r.code)).toEqual([0, 0]);
    expect(accountOf(app, v1.address).sequence).toBe(2n);
  });

  it("refuses a database made from another genesis", async () => {
    const path = join(home, "data", "other.db");
    open(path, "first").close();
    apps.pop();
    expect(() => open(path, "second")).toThrow(AppError);
  });

  it("answers unknown query paths with code 6 and bad request bytes with code 2", () => {
    const app = open();
    expect(app.query("/nope.v1.Query/X", new Uint8Array()).code).toBe(6);
    expect(app.query("/cosmos.auth.v1beta1.Query/Account", Uint8Array.of(0xff, 0xff)).code).toBe(2);
    expect(app.query("/pocval.v1.Query/Params", new Uint8Array()).code).toBe(0);
  });

  it("requires the tx's one signer to be every message's signer, and bounds the memo", async () => {
    const app = open();
    const p0 = keyNamed(keys, "participant-0");
    const v0 = keyNamed(keys, "validator-0");
    const sendFrom = (from: string) => ({
      typeUrl: "/cosmos.bank.v1beta1.MsgSend",
      value: { fromAddress: from, toAddress: p0.address, amount: [{ denom: "upoc", amount: "1" }] },
    });
    // p0 signs a transfer out of v0's account.
    expect(app.checkTx(await signTx(app, p0, [sendFrom(v0.address)]))).toMatchObject({
      code: 4,
      log: `pubKey does not match signer address ${v0.address} with signer index: 0: unauthorized`,
    });
    // Two messages with two different signers in one tx.
    expect(app.checkTx(await signTx(app, p0, [sendFrom(p0.address), sendFrom(v0.address)])).code).toBe(4);
    expect(app.checkTx(await signTx(app, p0, [sendFrom(p0.address)], undefined, "m".repeat(257))).code).toBe(12);
    expect(app.checkTx(await signTx(app, p0, [sendFrom(p0.address)], undefined, "m".repeat(256))).code).toBe(0);
  });
});
