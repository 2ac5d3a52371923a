import { QueryClient, StargateClient } from "@cosmjs/stargate";
import { connectComet } from "@cosmjs/tendermint-rpc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setupPocvalExtension, typeUrls } from "../../src/client/index.js";
import { Reason, Verdict } from "../../src/gen/pocval/v1/types.js";
import { initHome, type KeyFile, type RunningNode, startNode } from "../../src/node/index.js";
import { keyNamed, signingClient, tempHome, waitForHeight } from "./helpers.js";

// Stages start at heights 2, 34, 66 ...: a commit window of 12 blocks, the sampling block, then 12
// blocks of validation; roomy enough for a loaded CI machine, and at 100 ms blocks under 3.5 s.
const timing = { stageLength: 32n, stageOffset: 2n, commitWindow: 12n, validationWindow: 12n };
const BLOCK_MS = 100;

describe("the localnet node through cosmjs's public API", () => {
  let home: string;
  let cleanup: () => Promise<void>;
  let keys: KeyFile[];
  let node: RunningNode;
  let client: StargateClient;

  beforeAll(async () => {
    ({ home, cleanup } = await tempHome());
    ({ keys } = await initHome({ home, validators: 2, stakes: [300n, 100n], participants: 1, timing }));
    node = await startNode({ home, rpc: "127.0.0.1:0", blockTimeMs: BLOCK_MS });
    client = await StargateClient.connect(node.rpcUrl);
  });

  afterAll(async () => {
    client?.disconnect();
    await node?.stop();
    await cleanup?.();
  });

  it("runs bank send, register, commit, vote and the tally, and keeps all of it across a restart", async () => {
    const v0 = keyNamed(keys, "validator-0");
    const v1 = keyNamed(keys, "validator-1");
    const p0 = keyNamed(keys, "participant-0");
    expect(await client.getChainId()).toBe("pocval-localnet");

    // Bank send with "auto" gas (simulation), then the balance, getTx and searchTx.
    const v0Client = await signingClient(node.rpcUrl, v0);
    const before = BigInt((await client.getBalance(p0.address, "upoc")).amount);
    const send = await v0Client.sendTokens(v0.address, p0.address, [{ denom: "upoc", amount: "12345" }], "auto");
    expect(send.code).toBe(0);
    expect(BigInt((await client.getBalance(p0.address, "upoc")).amount)).toBe(before + 12345n);
    const sent = await client.getTx(send.transactionHash);
    expect(sent?.height).toBe(send.height);
    expect(sent?.msgResponses[0]?.typeUrl).toBe("/cosmos.bank.v1beta1.MsgSendResponse");
    const bySender = await client.searchTx([{ key: "message.sender", value: v0.address }]);
    expect(bySender.map((t) => t.hash)).toContain(send.transactionHash);

    // Register the participant.
    const pClient = await signingClient(node.rpcUrl, p0);
    const reg = await pClient.signAndBroadcast(
      p0.address,
      [
        {
          typeUrl: typeUrls.registerParticipant,
          value: { creator: p0.address, pocPublicKey: "pk-0", proofApiUrl: "http://127.0.0.1:1" },
        },
      ],
      "auto",
    );
    expect(reg.code).toBe(0);

    // Commit at the start of the next stage, so the whole commit window is ahead.
    const comet = await connectComet(node.rpcUrl);
    const q = QueryClient.withExtensions(comet, setupPocvalExtension);
    const height = BigInt(await client.getHeight());
    const stage = ((height - timing.stageOffset) / timing.stageLength + 1n) * timing.stageLength + timing.stageOffset;
    await waitForHeight(client, Number(stage));
    const root = new Uint8Array(32).fill(7);
    const commit = await pClient.signAndBroadcast(
      p0.address,
      [
        {
          typeUrl: typeUrls.commitArtifacts,
          value: { creator: p0.address, stageHeight: stage, count: 1000n, rootHash: root },
        },
      ],
      "auto",
    );
    expect(commit.code, commit.rawLog).toBe(0);
    const info = (await q.pocval.stage(stage)).stage;
    expect(info.validationStartHeight).toBe(stage + timing.commitWindow + 1n);
    expect(info.generationSeed).toMatch(/^[0-9a-f]{64}$/);
    // The generation seed is the hash of block S, as the node's block RPC shows it.
    expect((await client.getBlock(Number(stage))).id.toLowerCase()).toBe(info.generationSeed);

    // Both validators vote in the validation window: 300 of 400 stake says cheater.
    await waitForHeight(client, Number(info.validationStartHeight));
    const vote = (verdict: Verdict) => ({
      participant: p0.address,
      verdict,
      reason: Reason.REASON_STAT_TEST,
      checked: 200,
      mismatches: verdict === Verdict.VERDICT_CHEATER ? 40 : 3,
      pValue: verdict === Verdict.VERDICT_CHEATER ? "0.000001" : "0.76",
      evidenceHash: new Uint8Array(32).fill(1),
    });
    const v1Client = await signingClient(node.rpcUrl, v1);
    const [vote0, vote1] = await Promise.all([
      v0Client.signAndBroadcast(
        v0.address,
        [
          {
            typeUrl: typeUrls.submitVotes,
            value: { creator: v0.address, stageHeight: stage, votes: [vote(Verdict.VERDICT_CHEATER)] },
          },
        ],
        "auto",
      ),
      v1Client.signAndBroadcast(
        v1.address,
        [
          {
            typeUrl: typeUrls.submitVotes,
            value: { creator: v1.address, stageHeight: stage, votes: [vote(Verdict.VERDICT_HONEST)] },
          },
        ],
        "auto",
      ),
    ]);
    expect(vote0.code, vote0.rawLog).toBe(0);
    expect(vote1.code, vote1.rawLog).toBe(0);

    // After the window the module has finalized the tally.
    await waitForHeight(client, Number(info.validationEndHeight) + 1);
    const tally = await q.pocval.tally(stage, p0.address);
    expect(tally).toMatchObject({
      count: 1000n,
      cheaterStake: "300",
      honestStake: "100",
      totalStake: "400",
      convicted: true,
      weight: 0n,
    });
    // The tally is an end-block event: block_search finds the block that finalized it.
    const tallied = await comet.blockSearchAll({ query: `pocval.tally.participant='${p0.address}'` });
    expect(tallied.blocks.map((b) => BigInt(b.block.header.height))).toEqual([info.validationEndHeight]);
    const votesTxs = await client.searchTx([{ key: "pocval.vote.participant", value: p0.address }]);
    expect(votesTxs.map((t) => t.hash).sort()).toEqual([vote0.transactionHash, vote1.transactionHash].sort());
    const byHeight = await client.searchTx([{ key: "tx.height", value: commit.height }]);
    expect(byHeight.map((t) => t.hash)).toContain(commit.transactionHash);

    // Restart on the same home: height, app hash, tally and txs are all still there.
    const seen = await comet.block();
    comet.disconnect();
    v0Client.disconnect();
    v1Client.disconnect();
    pClient.disconnect();
    client.disconnect();
    await node.stop();
    const stoppedAt = node.height();
    expect(stoppedAt).toBeGreaterThanOrEqual(BigInt(seen.block.header.height));

    node = await startNode({ home, rpc: "127.0.0.1:0", blockTimeMs: BLOCK_MS });
    expect(node.height()).toBe(stoppedAt);
    client = await StargateClient.connect(node.rpcUrl);
    const comet2 = await connectComet(node.rpcUrl);
    const again = await comet2.block(seen.block.header.height);
    expect(again.block.header.appHash).toEqual(seen.block.header.appHash);
    expect(again.blockId.hash).toEqual(seen.blockId.hash);
    const q2 = QueryClient.withExtensions(comet2, setupPocvalExtension);
    expect(await q2.pocval.tally(stage, p0.address)).toEqual(tally);
    expect((await client.getTx(send.transactionHash))?.height).toBe(send.height);
    expect(BigInt((await client.getBalance(p0.address, "upoc")).amount)).toBeGreaterThan(before);
    await waitForHeight(client, Number(stoppedAt) + 2);
    comet2.disconnect();
  }, 60_000);
});
