// setupPocvalExtension against a real embedded node: the values a cosmjs user reads, including
// lists longer than the node's 100-item page (the extension follows next_key).
import { calculateFee, GasPrice, QueryClient, SigningStargateClient, StargateClient } from "@cosmjs/stargate";
import { connectComet } from "@cosmjs/tendermint-rpc";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  accountKeyFromMnemonic,
  createPocvalRegistry,
  DEFAULT_GAS_PRICE,
  type PocvalExtension,
  setupPocvalExtension,
  typeUrls,
} from "../../src/client/index.js";
import { defaultParams } from "../../src/core/index.js";
import { initHome, type KeyFile, type RunningNode, startNode } from "../../src/node/index.js";
import { tempHome, waitForHeight } from "../node/helpers.js";

// One long stage from height 2 with a 150-block commit window: room for a loaded machine.
const timing = { stageLength: 400n, stageOffset: 2n, commitWindow: 150n, validationWindow: 100n };
const PARTICIPANTS = 105; // more than the node's default page of 100
const CHAIN_ID = "pocval-client-test";

describe("setupPocvalExtension on a running node", () => {
  let cleanup: () => Promise<void>;
  let keys: KeyFile[];
  let node: RunningNode;
  let reader: StargateClient;
  let comet: Awaited<ReturnType<typeof connectComet>>;
  let q: PocvalExtension["pocval"];
  const participants = () => keys.filter((k) => k.name.startsWith("participant-"));

  /** Signs msgs for key offline (sequence 0) and broadcasts without waiting for the block. */
  async function send(key: KeyFile, msgs: { typeUrl: string; value: unknown }[]): Promise<string> {
    const { wallet, address } = await accountKeyFromMnemonic(key.mnemonic);
    const signer = await SigningStargateClient.offline(wallet, { registry: createPocvalRegistry() });
    const account = await reader.getAccount(address);
    if (!account) throw new Error(`no account ${address}`);
    const fee = calculateFee(400_000, GasPrice.fromString(DEFAULT_GAS_PRICE));
    const tx = await signer.sign(address, msgs, fee, "", {
      accountNumber: account.accountNumber,
      sequence: account.sequence,
      chainId: CHAIN_ID,
    });
    return reader.broadcastTxSync(TxRaw.encode(tx).finish());
  }

  async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 90_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await read();
      if (done(v)) return v;
      if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms: ${JSON.stringify(v)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  beforeAll(async () => {
    const t = await tempHome();
    cleanup = t.cleanup;
    ({ keys } = await initHome({
      home: t.home,
      chainId: CHAIN_ID,
      stakes: [60n, 40n],
      participants: PARTICIPANTS,
      timing,
    }));
    node = await startNode({ home: t.home, rpc: "127.0.0.1:0", blockTimeMs: 100 });
    reader = await StargateClient.connect(node.rpcUrl);
    comet = await connectComet(node.rpcUrl);
    q = QueryClient.withExtensions(comet, setupPocvalExtension).pocval;
  }, 120_000);

  afterAll(async () => {
    comet?.disconnect();
    reader?.disconnect();
    await node?.stop();
    await cleanup?.();
  });

  it("params: the genesis params, timing and authority as plain values", async () => {
    const r = await q.params();
    expect(r.params).toEqual(defaultParams());
    expect(r.timing).toEqual(timing);
    expect(r.authority).toBe(keys.find((k) => k.name === "authority")!.address);
  });

  it("stage: 0 asks for the current stage; the windows follow the timing", async () => {
    await waitForHeight(reader, 3);
    const current = await q.stage();
    expect(current.currentHeight).toBeGreaterThanOrEqual(3n);
    expect(current.stage.stageHeight).toBe(2n);
    const explicit = await q.stage(2n);
    expect(explicit.stage.commitEndHeight).toBe(2n + timing.commitWindow - 1n);
    expect(explicit.stage.finalized).toBe(false);
  });

  it("stakeSnapshot: the validators' stakes taken at the stage start", async () => {
    await waitForHeight(reader, 3);
    const snapshot = await q.stakeSnapshot(2n);
    const byAddress = Object.fromEntries(snapshot.validators.map((v) => [v.address, v.stake]));
    expect(byAddress).toEqual({
      [keys.find((k) => k.name === "validator-0")!.address]: "60",
      [keys.find((k) => k.name === "validator-1")!.address]: "40",
    });
  });

  it(`participants: all ${PARTICIPANTS} registrations, across two pages`, async () => {
    for (const key of participants()) {
      await send(key, [
        {
          typeUrl: typeUrls.registerParticipant,
          value: { creator: key.address, pocPublicKey: `pk-${key.name}`, proofApiUrl: "http://127.0.0.1:9" },
        },
      ]);
    }
    const list = await until(
      () => q.participants(),
      (l) => l.length >= PARTICIPANTS,
    );
    expect(list).toHaveLength(PARTICIPANTS);
    expect(list.map((p) => p.address).sort()).toEqual(
      participants()
        .map((k) => k.address)
        .sort(),
    );
    const one = list.find((p) => p.address === participants()[7]!.address)!;
    expect(one.pocPublicKey).toBe(`pk-${participants()[7]!.name}`);
    expect(one.registeredHeight).toBeGreaterThan(0n);
  }, 240_000);

  it("commitments: what the registered participants committed in the stage", async () => {
    const committers = participants().slice(0, 3);
    for (const [i, key] of committers.entries()) {
      await send(key, [
        {
          typeUrl: typeUrls.commitArtifacts,
          value: {
            creator: key.address,
            stageHeight: 2n,
            count: BigInt(1000 + i),
            rootHash: new Uint8Array(32).fill(i + 1),
          },
        },
      ]);
    }
    const list = await until(
      () => q.commitments(2n),
      (l) => l.length >= committers.length,
    );
    expect(
      list
        .map((c) => ({ participant: c.participant, count: c.count, root: c.rootHash[0] }))
        .sort((a, b) => a.participant.localeCompare(b.participant)),
    ).toEqual(
      committers
        .map((k, i) => ({ participant: k.address, count: BigInt(1000 + i), root: i + 1 }))
        .sort((a, b) => a.participant.localeCompare(b.participant)),
    );
    // No votes yet, and nothing tallied before the stage ends.
    expect(await q.votes(2n)).toEqual([]);
    expect(await q.tallies(2n)).toEqual([]);
  }, 120_000);

  it("turns a failed query into an error naming it", async () => {
    await expect(q.tally(2n, "pocval1notanaddress")).rejects.toThrow(/Query failed/);
  });
});
