import { toBech32 } from "@cosmjs/encoding";
import { BroadcastTxError, type SigningStargateClient, StargateClient } from "@cosmjs/stargate";
import { connectComet } from "@cosmjs/tendermint-rpc";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { typeUrls } from "../../src/client/index.js";
import { Reason, Verdict } from "../../src/gen/pocval/v1/types.js";
import { initHome, type KeyFile, type RunningNode, startNode } from "../../src/node/index.js";
import { keyNamed, signingClient, tempHome, waitForHeight } from "./helpers.js";

const fee = { amount: [{ denom: "upoc", amount: "5000" }], gas: "200000" };

/** What cosmjs surfaces for a CheckTx rejection: BroadcastTxError with code, codespace and log. */
async function checkTxError(client: SigningStargateClient, bytes: Uint8Array): Promise<BroadcastTxError> {
  try {
    await client.broadcastTx(bytes);
  } catch (err) {
    if (err instanceof BroadcastTxError) return err;
    throw err;
  }
  throw new Error("the node accepted the tx");
}

describe("transaction rejections as cosmjs surfaces them", () => {
  let cleanup: () => Promise<void>;
  let keys: KeyFile[];
  let node: RunningNode;
  let sender: KeyFile;
  let other: KeyFile;
  let client: SigningStargateClient;

  beforeAll(async () => {
    const t = await tempHome();
    cleanup = t.cleanup;
    ({ keys } = await initHome({ home: t.home, validators: 1, participants: 2 }));
    node = await startNode({ home: t.home, rpc: "127.0.0.1:0", blockTimeMs: 100 });
    sender = keyNamed(keys, "participant-0");
    other = keyNamed(keys, "participant-1");
    client = await signingClient(node.rpcUrl, sender);
  });

  afterAll(async () => {
    client?.disconnect();
    await node?.stop();
    await cleanup?.();
  });

  const send = (amount = "1") => [
    {
      typeUrl: "/cosmos.bank.v1beta1.MsgSend",
      value: { fromAddress: sender.address, toAddress: other.address, amount: [{ denom: "upoc", amount }] },
    },
  ];
  const signerData = async (overrides: { sequence?: number; chainId?: string } = {}) => {
    const { accountNumber, sequence } = await client.getSequence(sender.address);
    return { accountNumber, sequence: overrides.sequence ?? sequence, chainId: overrides.chainId ?? node.chainId };
  };

  it("rejects a wrong signature with code 4 (unauthorized)", async () => {
    const raw = await client.sign(sender.address, send(), fee, "");
    raw.signatures[0]![5]! ^= 0x01;
    const err = await checkTxError(client, TxRaw.encode(raw).finish());
    expect(err.code).toBe(4);
    expect(err.codespace).toBe("sdk");
    expect(err.log).toMatch(/^signature verification failed; .*: unauthorized$/);
  });

  it("rejects a signature for another chain id with code 4 and a log naming the chain id", async () => {
    const raw = await client.sign(sender.address, send(), fee, "", await signerData({ chainId: "other-chain" }));
    const err = await checkTxError(client, TxRaw.encode(raw).finish());
    expect(err.code).toBe(4);
    expect(err.log).toContain(`chain-id (${node.chainId})`);
  });

  it("rejects a wrong sequence with code 32 and the SDK's log", async () => {
    const data = await signerData();
    const raw = await client.sign(sender.address, send(), fee, "", { ...data, sequence: data.sequence + 5 });
    const err = await checkTxError(client, TxRaw.encode(raw).finish());
    expect(err.code).toBe(32);
    expect(err.log).toBe(
      `account sequence mismatch, expected ${data.sequence}, got ${data.sequence + 5}: incorrect account sequence`,
    );
  });

  it("rejects a fee below 0.01upoc per gas, or in another denom, with code 13", async () => {
    const low = await client.sign(
      sender.address,
      send(),
      { amount: [{ denom: "upoc", amount: "1999" }], gas: "200000" },
      "",
    );
    const err = await checkTxError(client, TxRaw.encode(low).finish());
    expect(err.code).toBe(13);
    expect(err.log).toBe("insufficient fees; got: 1999upoc required: 2000upoc: insufficient fee");
    const foreign = await client.sign(
      sender.address,
      send(),
      { amount: [{ denom: "uatom", amount: "9000" }], gas: "200000" },
      "",
    );
    expect((await checkTxError(client, TxRaw.encode(foreign).finish())).code).toBe(13);
  });

  it("rejects a gas limit below the gas the tx uses with code 11", async () => {
    const raw = await client.sign(
      sender.address,
      send(),
      { amount: [{ denom: "upoc", amount: "10" }], gas: "1000" },
      "",
    );
    const err = await checkTxError(client, TxRaw.encode(raw).finish());
    expect(err.code).toBe(11);
    expect(err.log).toMatch(/gasWanted: 1000, gasUsed: \d+: out of gas$/);
  });

  it("rejects an unknown message type with code 6", async () => {
    const delegate = {
      typeUrl: "/cosmos.staking.v1beta1.MsgDelegate",
      value: {
        delegatorAddress: sender.address,
        validatorAddress: sender.address,
        amount: { denom: "upoc", amount: "1" },
      },
    };
    const raw = await client.sign(sender.address, [delegate], fee, "");
    const err = await checkTxError(client, TxRaw.encode(raw).finish());
    expect(err.code).toBe(6);
    expect(err.log).toBe("unrecognized message type: /cosmos.staking.v1beta1.MsgDelegate: unknown request");
  });

  it("charges the fee and bumps the sequence when a message fails in DeliverTx, reverting the rest", async () => {
    const q = await StargateClient.connect(node.rpcUrl);
    const balance = BigInt((await q.getBalance(sender.address, "upoc")).amount);
    const { sequence } = await q.getSequence(sender.address);
    const result = await client.signAndBroadcast(sender.address, send((balance * 2n).toString()), fee);
    expect(result.code).toBe(5);
    expect(result.rawLog).toMatch(/is smaller than .*: insufficient funds$/);
    expect(BigInt((await q.getBalance(sender.address, "upoc")).amount)).toBe(balance - 5000n);
    expect((await q.getSequence(sender.address)).sequence).toBe(sequence + 1);
    q.disconnect();
  });

  it("answers a module rejection in the pocval codespace with the module's log", async () => {
    const vote = {
      typeUrl: typeUrls.submitVotes,
      value: {
        creator: sender.address,
        stageHeight: 2n,
        votes: [
          {
            participant: other.address,
            verdict: Verdict.VERDICT_HONEST,
            reason: Reason.REASON_STAT_TEST,
            checked: 1,
            mismatches: 0,
            pValue: "1",
            evidenceHash: new Uint8Array(32),
          },
        ],
      },
    };
    const result = await client.signAndBroadcast(sender.address, [vote], fee);
    expect(result.code).not.toBe(0);
    const comet = await connectComet(node.rpcUrl);
    const tx = await comet.tx({ hash: Buffer.from(result.transactionHash, "hex") });
    expect(tx.result.codespace).toBe("pocval");
    expect(tx.result.log).toBe(result.rawLog);
    comet.disconnect();
  });

  it("accepts several txs from one account in one go, tracking sequences in the mempool", async () => {
    const data = await signerData();
    const hashes: string[] = [];
    for (let i = 0; i < 3; i++) {
      const raw = await client.sign(sender.address, send("7"), fee, "", { ...data, sequence: data.sequence + i });
      hashes.push(await client.broadcastTxSync(TxRaw.encode(raw).finish()));
    }
    const q = await StargateClient.connect(node.rpcUrl);
    await waitForHeight(q, (await q.getHeight()) + 2);
    for (const hash of hashes) expect((await q.getTx(hash))?.code).toBe(0);
    expect((await q.getSequence(sender.address)).sequence).toBe(data.sequence + 3);
    q.disconnect();
  });

  it("answers an unknown account as absent, as cosmjs expects", async () => {
    const stranger = toBech32("pocval", new Uint8Array(20).fill(9));
    expect(await client.getAccount(stranger)).toBeNull();
    expect((await client.getBalance(stranger, "upoc")).amount).toBe("0");
  });
});
