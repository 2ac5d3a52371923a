// Vote submission against a real localnet node: participants register and commit by hand, the
// journal holds decisions, and the submitter must get them on chain through an out-of-gas
// refusal, a sequence taken by another transaction of the same key, and a vote that is already
// on chain.
import { join } from "node:path";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice, SigningStargateClient } from "@cosmjs/stargate";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { afterAll, describe, expect, it } from "vitest";
import { BECH32_PREFIX, createPocvalRegistry, DEFAULT_GAS_PRICE, typeUrls } from "../../src/client/index.js";
import { Reason, Verdict, type Vote } from "../../src/gen/pocval/v1/types.js";
import { initHome, type KeyFile, type RunningNode, startNode } from "../../src/node/index.js";
import { connectCosmosSidecarChain } from "../../src/sidecar/chain-cosmos.js";
import { createLogger, createMetrics, openJournal } from "../../src/sidecar/index.js";
import { loadValidatorKey } from "../../src/sidecar/keys.js";
import { createVoteSubmitter } from "../../src/sidecar/votes.js";
import { collectLines, tempDir, until } from "./integration-helpers.js";

// A long validation window (60 blocks): the retries below must not race its end on a busy machine.
const timing = { stageLength: 80n, stageOffset: 20n, commitWindow: 10n, validationWindow: 60n };

async function clientOf(rpcUrl: string, key: KeyFile): Promise<SigningStargateClient> {
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(key.mnemonic, { prefix: BECH32_PREFIX });
  return SigningStargateClient.connectWithSigner(rpcUrl, wallet, {
    registry: createPocvalRegistry(),
    gasPrice: GasPrice.fromString(DEFAULT_GAS_PRICE),
    broadcastPollIntervalMs: 100,
  });
}

const vote = (participant: string, verdict: Verdict): Vote => ({
  participant,
  verdict,
  reason: Reason.REASON_STAT_TEST,
  checked: 200,
  mismatches: verdict === Verdict.VERDICT_CHEATER ? 40 : 2,
  pValue: verdict === Verdict.VERDICT_CHEATER ? "0.000001" : "0.9",
  evidenceHash: new Uint8Array(32).fill(3),
});

describe("vote submitter on a localnet", () => {
  const temp = tempDir();
  let node: RunningNode | undefined;
  afterAll(async () => {
    await node?.stop();
    temp.remove();
  });

  it("lands every journaled vote once despite out-of-gas, a taken sequence and a vote already on chain", async () => {
    const home = join(temp.dir, "home");
    const { keys } = await initHome({ home, validators: 1, participants: 4, timing });
    node = await startNode({ home, rpc: "127.0.0.1:0", blockTimeMs: 200 });
    const participants = keys.filter((k) => k.name.startsWith("participant-"));
    const validatorKey = keys.find((k) => k.name === "validator-0")!;
    const clients = await Promise.all(participants.map((p) => clientOf(node!.rpcUrl, p)));
    await Promise.all(
      participants.map((p, i) =>
        clients[i]!.signAndBroadcast(
          p.address,
          [
            {
              typeUrl: typeUrls.registerParticipant,
              value: { creator: p.address, pocPublicKey: `pk-${i}`, proofApiUrl: "http://127.0.0.1:1" },
            },
          ],
          "auto",
        ),
      ),
    );
    const h = node.height();
    const stage =
      h < timing.stageOffset
        ? timing.stageOffset
        : ((h - timing.stageOffset) / timing.stageLength + 1n) * timing.stageLength + timing.stageOffset;
    await until("the stage start", () => (node!.height() >= stage ? true : undefined));
    for (const [i, p] of participants.entries()) {
      const res = await clients[i]!.signAndBroadcast(
        p.address,
        [
          {
            typeUrl: typeUrls.commitArtifacts,
            value: { creator: p.address, stageHeight: stage, count: 100n, rootHash: new Uint8Array(32).fill(i + 1) },
          },
        ],
        "auto",
      );
      expect(res.code, res.rawLog).toBe(0);
    }
    const validationStart = stage + timing.commitWindow + 1n;
    await until("the validation window", () => (node!.height() >= validationStart ? true : undefined));

    const journal = openJournal(join(temp.dir, "votes.db"));
    for (const [i, p] of participants.slice(0, 3).entries()) {
      journal.recordDecision(stage, vote(p.address, i === 0 ? Verdict.VERDICT_CHEATER : Verdict.VERDICT_HONEST));
    }
    // Participant 2's vote is already on chain (sent by hand, as a previous run might have).
    const validatorClient = await clientOf(node.rpcUrl, validatorKey);
    const manual = await validatorClient.signAndBroadcast(
      validatorKey.address,
      [
        {
          typeUrl: typeUrls.submitVotes,
          value: {
            creator: validatorKey.address,
            stageHeight: stage,
            votes: [vote(participants[2]!.address, Verdict.VERDICT_HONEST)],
          },
        },
      ],
      "auto",
    );
    expect(manual.code, manual.rawLog).toBe(0);

    // A bank send of the same key, broadcast without waiting: in the mempool it holds the next sequence.
    // Signed here, broadcast right before the first flush, so that no block takes it in first (a busy
    // machine spent longer than a block loading the key and connecting, and the refusal never came).
    const { accountNumber, sequence } = await validatorClient.getSequence(validatorKey.address);
    const send = await validatorClient.sign(
      validatorKey.address,
      [
        {
          typeUrl: "/cosmos.bank.v1beta1.MsgSend",
          value: {
            fromAddress: validatorKey.address,
            toAddress: participants[0]!.address,
            amount: [{ denom: "upoc", amount: "1" }],
          },
        },
      ],
      { amount: [{ denom: "upoc", amount: "5000" }], gas: "200000" },
      "",
      { accountNumber, sequence, chainId: await validatorClient.getChainId() },
    );
    const lines: string[] = [];
    const log = createLogger({
      level: "debug",
      progress: "off",
      stream: collectLines(lines),
    });
    const key = await loadValidatorKey({ keyFile: join(home, "keys", "validator-0.json") });
    const chain = await connectCosmosSidecarChain({
      rpcUrl: node.rpcUrl,
      timeoutMs: 5000,
      pollIntervalMs: 100,
      wsStallMs: 10_000,
      key,
      gasPrice: DEFAULT_GAS_PRICE,
    });
    const metrics = createMetrics();
    const controller = new AbortController();
    const votes = {
      batchSize: 1,
      gasPrice: DEFAULT_GAS_PRICE,
      baseGas: 200_000,
      gasPerVote: 30_000,
      gasRetryFactor: 2,
      simulate: true,
      gasAdjustment: 1.3,
      inclusionTimeoutMs: 5000,
      retry: { attempts: 30, baseDelayMs: 10, maxDelayMs: 50 },
    };
    const submitterWith = (overrides: Partial<typeof votes>) =>
      createVoteSubmitter({
        chain,
        journal,
        validatorAddress: key.address,
        votes: { ...votes, ...overrides },
        metrics,
        log,
        signal: controller.signal,
      });
    const flushUntil = async (submitter: ReturnType<typeof submitterWith>, submitted: number) =>
      until(`${submitted} votes submitted`, async () => {
        await submitter.flush(stage);
        return journal.counts().submitted === submitted ? true : undefined;
      });
    await validatorClient.broadcastTxSync(TxRaw.encode(send).finish());
    try {
      await flushUntil(submitterWith({}), 3);
      // Far too little gas: the next signing runs out of gas in the ante handler, then doubles it.
      journal.recordDecision(stage, vote(participants[3]!.address, Verdict.VERDICT_HONEST));
      await flushUntil(submitterWith({ simulate: false, baseGas: 2000, gasPerVote: 1 }), 4);
      const onChain = await chain.myVotes(stage);
      expect(onChain.map((r) => r.vote?.participant).sort()).toEqual(participants.map((p) => p.address).sort());
      expect(onChain.find((r) => r.vote?.participant === participants[0]!.address)?.vote?.verdict).toBe(
        Verdict.VERDICT_CHEATER,
      );
      const refused = lines
        .map((l) => JSON.parse(l) as { msg: string; code?: number })
        .filter((l) => l.msg === "vote transaction refused");
      expect(refused.some((l) => l.code === 32)).toBe(true);
      expect(refused.some((l) => l.code === 11)).toBe(true);
      // Participant 2's vote was found on chain, never sent again.
      expect(lines.some((l) => l.includes('"msg":"votes already on chain"'))).toBe(true);
      const text = await metrics.registry.metrics();
      expect(text).toMatch(/pocval_sidecar_vote_transactions_total\{result="landed"\} 3/);
    } finally {
      controller.abort();
      chain.close();
      journal.close();
      validatorClient.disconnect();
      for (const c of clients) c.disconnect();
    }
  }, 60_000);
});
