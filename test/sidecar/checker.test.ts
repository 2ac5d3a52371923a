// One participant's whole check without a chain: loopback proof servers built from src/core and
// the real reference backend as the validator's GPU. Participant vectors come from the reference
// profiles in-process (referenceVector), as a participant's own backend would compute them.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createBackendClient,
  DEFAULT_POC_PARAMS,
  type ReferenceBackend,
  referenceVector,
  startReferenceBackend,
} from "../../src/backend/index.js";
import {
  criticalCountFor,
  decodeVector,
  encodeVector,
  sampleIndices,
  statTestContradiction,
  toHex,
} from "../../src/core/index.js";
import { Reason, Verdict } from "../../src/gen/pocval/v1/types.js";
import {
  type CheckerContext,
  type CheckTarget,
  checkParticipant,
  createRecomputeQueue,
  keyFromMnemonic,
  type StageFacts,
} from "../../src/sidecar/index.js";
import { createProvePool } from "../../src/sidecar/prove-pool.js";
import {
  buildTree,
  type StubServer,
  signedAnswer,
  startProofStub,
  TEST_MNEMONIC,
  type TestLeaf,
  type TestTree,
  testParticipant,
} from "./helpers.js";

const GEN_SEED = "11".repeat(32);
const COUNT = 1000;
// alpha 1e-4 so that an honest participant is not convicted by chance (5% per check at 0.05).
const stage: StageFacts = {
  stageHeight: 20n,
  samplingBlockHash: "22".repeat(32),
  generationSeed: GEN_SEED,
  params: {
    ...DEFAULT_POC_PARAMS,
    distThreshold: 0.173663,
    fpRate: 0.02,
    alpha: 1e-4,
    sampleSize: 200,
    proofRequestBudget: 2,
    proofResponseMs: 2_000,
  },
};
const key = await keyFromMnemonic(TEST_MNEMONIC);
let validatorBackend: ReferenceBackend;
const stubs: StubServer[] = [];
const queue = () =>
  createRecomputeQueue({
    backends: [createBackendClient({ url: validatorBackend.url, retries: 0 })],
    concurrency: 2,
    batchSize: 500,
    retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 10 },
  });
let ctx: CheckerContext;

beforeAll(async () => {
  validatorBackend = await startReferenceBackend({ profile: "h100-fp8" });
  ctx = {
    validatorAddress: key.address,
    privateKey: key.privateKey,
    proofApi: { batchSize: 500, maxResponseBytes: 8 << 20, retry: { baseDelayMs: 5, maxDelayMs: 10 } },
    recompute: queue(),
  };
});
afterAll(async () => {
  ctx.recompute.close();
  await Promise.all(stubs.map((s) => s.stop()));
  await validatorBackend.stop();
});

const vectorOf = (publicKey: string, profile: string, nonce: number) =>
  referenceVector({ blockHash: GEN_SEED, publicKey, nonce, ...DEFAULT_POC_PARAMS, profile, machineId: "participant" });

/** Serves a tree; `alter` may change what is served for a leaf. */
async function serve(
  account: { privateKey: Uint8Array },
  tree: TestTree,
  alter?: (index: number, proof: ReturnType<TestTree["proof"]>) => ReturnType<TestTree["proof"]>,
) {
  const stub = await startProofStub((req, res) => {
    const proofs = req.leaf_indices.map((i) => (alter ? alter(i, tree.proof(i)) : tree.proof(i)));
    res.writeHead(200).end(signedAnswer(req, proofs, account.privateKey));
  });
  stubs.push(stub);
  return stub;
}

async function participant(publicKey: string, leafOf: (i: number) => TestLeaf, alter?: Parameters<typeof serve>[2]) {
  const tree = buildTree(Array.from({ length: COUNT }, (_, i) => leafOf(i)));
  const account = testParticipant(publicKey);
  const stub = await serve(account, tree, alter);
  const target: CheckTarget = {
    address: account.address,
    pocPublicKey: publicKey,
    proofApiUrl: stub.url,
    count: BigInt(COUNT),
    rootHash: tree.root,
  };
  return { tree, stub, target };
}

const honestLeaf =
  (pk: string, profile = "b200-fp8") =>
  (i: number) => ({ nonce: i, bytes: encodeVector(vectorOf(pk, profile, i)) });

describe("checkParticipant", () => {
  it("votes HONEST on an honest participant running another FP8 profile", async () => {
    const { target } = await participant("honest", honestLeaf("honest"));
    const outcome = await checkParticipant(ctx, stage, target);
    expect(outcome).toMatchObject({
      kind: "vote",
      vote: { verdict: Verdict.VERDICT_HONEST, reason: Reason.REASON_STAT_TEST, checked: 200 },
    });
  });

  it("votes CHEATER (STAT_TEST) on an INT4 participant and on 20% random vectors", async () => {
    const int4 = await participant("int4", honestLeaf("int4", "int4"));
    expect(await checkParticipant(ctx, stage, int4.target)).toMatchObject({
      kind: "vote",
      vote: { verdict: Verdict.VERDICT_CHEATER, reason: Reason.REASON_STAT_TEST },
    });
    const random = await participant("random", (i) =>
      i % 5 === 0
        ? { nonce: i, bytes: encodeVector(vectorOf("someone-else", "b200-fp8", i)) }
        : honestLeaf("random")(i),
    );
    // The full test (no curtailment) counts the whole sample's mismatches.
    const full = { ...ctx, check: { chunkSize: 20, curtail: false } };
    const outcome = await checkParticipant(full, stage, random.target);
    expect(outcome).toMatchObject({
      kind: "vote",
      vote: { verdict: Verdict.VERDICT_CHEATER, reason: Reason.REASON_STAT_TEST, checked: 200 },
    });
    if (outcome.kind === "vote") expect(outcome.vote.mismatches).toBeGreaterThan(25);
  });

  it("votes CHEATER with the proof fault's reason without recomputing", async () => {
    const before = validatorBackend.stats().noncesGenerated;
    const badNonce = await participant("badnonce", (i) => ({
      ...honestLeaf("badnonce")(i),
      nonce: i % 2 === 0 ? i : i + COUNT,
    }));
    expect(await checkParticipant(ctx, stage, badNonce.target)).toMatchObject({
      vote: { reason: Reason.REASON_BAD_NONCE, verdict: Verdict.VERDICT_CHEATER },
    });
    const wrongProof = await participant("wrongproof", honestLeaf("wrongproof"), (i, p) =>
      i % 3 === 0 ? { ...p, audit_path: [...p.audit_path].reverse() } : p,
    );
    expect(await checkParticipant(ctx, stage, wrongProof.target)).toMatchObject({
      vote: { reason: Reason.REASON_INVALID_PROOF },
    });
    const missing = await participant("missing", honestLeaf("missing"), (i, p) =>
      i % 7 === 0 ? { ...p, leaf_index: (i + 1) % COUNT } : p,
    );
    expect(await checkParticipant(ctx, stage, missing.target)).toMatchObject({
      vote: { reason: Reason.REASON_INVALID_PROOF },
    });
    expect(validatorBackend.stats().noncesGenerated).toBe(before);
  });

  it("votes UNAVAILABLE after the retry budget when the proof API refuses", async () => {
    const stub = await startProofStub((_req, res) => res.writeHead(503).end());
    stubs.push(stub);
    const { target } = await participant("withhold", honestLeaf("withhold"));
    const outcome = await checkParticipant(ctx, stage, { ...target, proofApiUrl: stub.url });
    expect(outcome).toMatchObject({ vote: { verdict: Verdict.VERDICT_CHEATER, reason: Reason.REASON_UNAVAILABLE } });
    expect(stub.requests.length).toBe(2);
  });

  it("caps the waits between proof requests by the stage's deadline, in this thread and in worker threads", async () => {
    const stub = await startProofStub((_req, res) => res.writeHead(429, { "retry-after": "60" }).end());
    stubs.push(stub);
    const { target } = await participant("rate-limit", honestLeaf("rate-limit"));
    const limited = { ...target, proofApiUrl: stub.url };
    // proof_response_ms 30 s: without the deadline the one wait would be 30 s.
    const params = { ...stage.params, proofRequestBudget: 2, proofResponseMs: 30_000 };
    const pool = createProvePool(1);
    try {
      for (const checker of [ctx, { ...ctx, prove: pool.prove }]) {
        const started = Date.now();
        const deadlineMs = started + 1_500;
        const outcome = await checkParticipant(checker, { ...stage, params, deadlineMs }, limited);
        expect(outcome).toMatchObject({
          vote: { verdict: Verdict.VERDICT_CHEATER, reason: Reason.REASON_UNAVAILABLE },
        });
        expect(Date.now() - started).toBeLessThan(10_000);
      }
      expect(stub.requests.length).toBe(4);
    } finally {
      await pool.close();
    }
  });

  it("samples exactly docs/protocol.md's indices for this validator", async () => {
    const { target, stub } = await participant("sampled", honestLeaf("sampled"));
    await checkParticipant(ctx, stage, target);
    const expected = sampleIndices({
      stageHeight: 20n,
      samplingBlockHash: stage.samplingBlockHash,
      validatorAddress: key.address,
      participantAddress: target.address,
      count: COUNT,
      sampleSize: 200,
    });
    expect(stub.requests.flatMap((r) => r.leaf_indices)).toEqual(expected);
  });

  it("abstains, never votes, when its own backend is down, deployed with other params (409), or the check is cancelled", async () => {
    const { target } = await participant("victim", honestLeaf("victim"));
    validatorBackend.setFaults({ down: true });
    try {
      expect(await checkParticipant(ctx, stage, target)).toMatchObject({ kind: "abstain", cause: "backend" });
    } finally {
      validatorBackend.setFaults({});
    }
    const wrongModel = await startReferenceBackend({ profile: "h100-fp8", kDim: 16 });
    const mismatch = {
      ...ctx,
      recompute: createRecomputeQueue({
        backends: [createBackendClient({ url: wrongModel.url, retries: 0 })],
        concurrency: 1,
        batchSize: 500,
        retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
      }),
    };
    try {
      expect(await checkParticipant(mismatch, stage, target)).toMatchObject({ kind: "abstain", cause: "backend" });
    } finally {
      mismatch.recompute.close();
      await wrongModel.stop();
    }
    const controller = new AbortController();
    controller.abort(new Error("window closed"));
    expect(await checkParticipant(ctx, stage, target, controller.signal)).toMatchObject({
      kind: "abstain",
      cause: "cancelled",
    });
  });

  it("gives the same outcomes with the proof side in worker threads", async () => {
    const honest = await participant("pool-honest", honestLeaf("pool-honest"));
    const badNonce = await participant("pool-badnonce", (i) => ({ ...honestLeaf("pool-badnonce")(i), nonce: i + 1 }));
    const refusing = await startProofStub((_req, res) => res.writeHead(503).end());
    stubs.push(refusing);
    const targets = [
      honest.target,
      badNonce.target,
      { ...honest.target, address: "pocval1refusing", proofApiUrl: refusing.url },
    ];
    const pool = createProvePool(2);
    try {
      const failures: string[] = [];
      const pooled = {
        ...ctx,
        prove: pool.prove,
        onProofFailure: (_t: CheckTarget, f: { kind: string }) => failures.push(f.kind),
      };
      for (const target of targets) {
        const inThread = await checkParticipant(ctx, stage, target);
        const inWorker = await checkParticipant(pooled, stage, target);
        // The evidence holds each run's own signed request (its timestamp): compare its facts.
        const facts = (o: typeof inThread) =>
          o.kind === "vote"
            ? { ...o, evidence: o.evidence && { reason: o.evidence.reason, participant: o.evidence.participant } }
            : o;
        expect(facts(inWorker)).toEqual(facts(inThread));
      }
      expect(failures).toEqual(["http", "http"]);
      const controller = new AbortController();
      const cancelled = checkParticipant(pooled, stage, honest.target, controller.signal);
      controller.abort(new Error("window closed"));
      expect(await cancelled).toMatchObject({ kind: "abstain", cause: "cancelled" });
    } finally {
      await pool.close();
    }
  });
});

/** The distances of a sample outside the checker: the validator backend's vectors against the served leaves. */
async function servedDistances(target: CheckTarget, indices: readonly number[], leafFn: (i: number) => TestLeaf) {
  const backend = createBackendClient({ url: validatorBackend.url, retries: 0 });
  const recomputed = await backend.generate({
    blockHash: GEN_SEED,
    blockHeight: 20,
    publicKey: target.pocPublicKey,
    nonces: [...indices],
    params: { model: stage.params.model, seqLen: stage.params.seqLen, kDim: stage.params.kDim },
  });
  return indices.map((index, i) => {
    const received = decodeVector(leafFn(index).bytes, stage.params.kDim);
    let sum = 0;
    for (let j = 0; j < received.length; j++) sum += (received[j]! - recomputed[i]!.vector[j]!) ** 2;
    return Math.sqrt(sum);
  });
}

describe("curtailed checks (check.chunkSize, check.curtail)", () => {
  const curtailed = (chunkSize: number, curtail = true): CheckerContext => ({ ...ctx, check: { chunkSize, curtail } });
  const indicesOf = (target: CheckTarget) =>
    sampleIndices({
      stageHeight: 20n,
      samplingBlockHash: stage.samplingBlockHash,
      validatorAddress: key.address,
      participantAddress: target.address,
      count: COUNT,
      sampleSize: 200,
    });
  // Every fifth nonce computed for another key: about 20% of the sample mismatches.
  const partialLeaf = (pk: string) => (i: number) =>
    i % 5 === 0 ? { nonce: i, bytes: encodeVector(vectorOf("someone-else", "b200-fp8", i)) } : honestLeaf(pk)(i);

  it("stops a participant after its CHEATER certificate and keeps recomputing an undecided one, chunks of both sharing the queue", async () => {
    const wrong = await participant("all-wrong", (i) => ({
      nonce: i,
      bytes: encodeVector(vectorOf("someone-else", "b200-fp8", i)),
    }));
    const honest = await participant("chunked-honest", honestLeaf("chunked-honest"));
    // The real queue, observed: which key each backend request was for, in order.
    const requests: { publicKey: string; nonces: readonly number[] }[] = [];
    const observed: CheckerContext = {
      ...curtailed(20),
      recompute: {
        ...ctx.recompute,
        recompute: (job, signal) => {
          requests.push({ publicKey: job.publicKey, nonces: job.nonces });
          return ctx.recompute.recompute(job, signal);
        },
      },
    };
    const [w, h] = await Promise.all([
      checkParticipant(observed, stage, wrong.target),
      checkParticipant(observed, stage, honest.target),
    ]);
    // k_crit(200) at fp_rate 0.02, alpha 1e-4 is 13: 20 wrong leaves certify CHEATER after one chunk.
    expect(w).toMatchObject({
      kind: "vote",
      vote: { verdict: Verdict.VERDICT_CHEATER, reason: Reason.REASON_STAT_TEST, checked: 20, mismatches: 20 },
    });
    expect(h).toMatchObject({ kind: "vote", vote: { verdict: Verdict.VERDICT_HONEST, checked: 200 } });
    const wrongRequests = requests.filter((r) => r.publicKey === "all-wrong");
    expect(wrongRequests.map((r) => r.nonces)).toEqual([indicesOf(wrong.target).slice(0, 20)]);
    const honestRequests = requests.filter((r) => r.publicKey === "chunked-honest");
    expect(honestRequests.map((r) => r.nonces.length)).toEqual(Array(10).fill(20));
    expect(honestRequests.flatMap((r) => r.nonces)).toEqual(indicesOf(honest.target));
    // Both participants' first chunks were queued before either's second.
    expect(
      requests
        .slice(0, 2)
        .map((r) => r.publicKey)
        .sort(),
    ).toEqual(["all-wrong", "chunked-honest"]);
  });

  it("gives the full test's verdicts with fewer recomputes; the evidence hash covers exactly the checked prefix", async () => {
    const targets = [
      (await participant("cmp-honest", honestLeaf("cmp-honest"))).target,
      (await participant("cmp-int4", honestLeaf("cmp-int4", "int4"))).target,
      (await participant("cmp-partial", partialLeaf("cmp-partial"))).target,
    ];
    const kCrit = criticalCountFor(200, stage.params);
    for (const target of targets) {
      const full = await checkParticipant(curtailed(20, false), stage, target);
      const short = await checkParticipant(curtailed(20), stage, target);
      if (full.kind !== "vote" || short.kind !== "vote") throw new Error("expected votes");
      expect(full.vote.checked).toBe(200);
      expect(short.vote.verdict).toBe(full.vote.verdict);
      expect(statTestContradiction(short.vote, 200, kCrit)).toBeUndefined();
      expect(Number(short.vote.pValue) < stage.params.alpha).toBe(short.vote.verdict === Verdict.VERDICT_CHEATER);
      // The distances again, outside the checker: the backend's vectors and the served leaves.
      const indices = indicesOf(target);
      const leafFn =
        target.pocPublicKey === "cmp-int4"
          ? honestLeaf("cmp-int4", "int4")
          : target.pocPublicKey === "cmp-partial"
            ? partialLeaf("cmp-partial")
            : honestLeaf("cmp-honest");
      const dists = await servedDistances(target, indices, leafFn);
      const mismatchAt = dists.map((d) => d > stage.params.distThreshold);
      // Where the certificate falls: the first multiple of 20 at which the verdict is fixed.
      let expectedChecked = 200;
      for (let c = 20; c <= 200; c += 20) {
        const m = mismatchAt.slice(0, c).filter(Boolean).length;
        if (m >= kCrit || m + (200 - c) < kCrit) {
          expectedChecked = c;
          break;
        }
      }
      expect(short.vote.checked).toBe(expectedChecked);
      expect(short.vote.mismatches).toBe(mismatchAt.slice(0, expectedChecked).filter(Boolean).length);
      expect(full.vote.mismatches).toBe(mismatchAt.filter(Boolean).length);
      const h = createHash("sha256").update("pocval/evidence/v1");
      indices.forEach((index, i) => {
        const b = Buffer.alloc(16);
        b.writeBigUInt64LE(BigInt(index), 0);
        if (i < expectedChecked) b.writeDoubleLE(dists[i]!, 8);
        else b.writeBigUInt64LE(0x7ff8000000000000n, 8);
        h.update(b);
      });
      expect(toHex(short.vote.evidenceHash)).toBe(h.digest("hex"));
    }
  });
});

describe("early acceptance in a real check (chain param acceptance_rate, version 3)", () => {
  const early: StageFacts = { ...stage, params: { ...stage.params, acceptanceRate: "0.015" } };
  const chunked = (): CheckerContext => ({ ...ctx, check: { chunkSize: 20, curtail: true } });

  it("stops an honest participant at the first chunk boundary under the line, a vote only a version-3 chain accepts; a cheater stays CHEATER", async () => {
    const honest = await participant("early-honest", honestLeaf("early-honest", "h100-fp8"));
    const cheat = await participant("early-partial", (i) =>
      i % 5 === 0
        ? { nonce: i, bytes: encodeVector(vectorOf("someone-else", "b200-fp8", i)) }
        : honestLeaf("early-partial")(i),
    );
    const [withLine, without, cheater] = await Promise.all([
      checkParticipant(chunked(), early, honest.target),
      checkParticipant(chunked(), stage, honest.target),
      checkParticipant(chunked(), early, cheat.target),
    ]);
    if (withLine.kind !== "vote" || without.kind !== "vote" || cheater.kind !== "vote")
      throw new Error("expected votes");
    const kCrit = criticalCountFor(200, stage.params); // 13 at alpha 1e-4
    const indices = sampleIndices({
      stageHeight: 20n,
      samplingBlockHash: stage.samplingBlockHash,
      validatorAddress: key.address,
      participantAddress: honest.target.address,
      count: COUNT,
      sampleSize: 200,
    });
    const dists = await servedDistances(honest.target, indices, honestLeaf("early-honest", "h100-fp8"));
    const mismatchesAt = (c: number) => dists.slice(0, c).filter((d) => d > stage.params.distThreshold).length;
    // Where the line first holds: the first multiple of 20 with mismatches <= floor(0.015 c).
    let expected = 200;
    for (let c = 20; c < 200; c += 20) {
      if (mismatchesAt(c) <= Math.floor((15 * c) / 1000)) {
        expected = c;
        break;
      }
    }
    expect(expected).toBeLessThan(200);
    expect(withLine.vote).toMatchObject({
      verdict: Verdict.VERDICT_HONEST,
      reason: Reason.REASON_STAT_TEST,
      checked: expected,
      mismatches: mismatchesAt(expected),
    });
    expect(without.vote).toMatchObject({ verdict: Verdict.VERDICT_HONEST, checked: 200 });
    expect(statTestContradiction(withLine.vote, 200, kCrit, "0.015")).toBeUndefined();
    // A version-2 chain rejects it: the sidecar stops early only when the chain's params have the line.
    expect(statTestContradiction(withLine.vote, 200, kCrit)).toMatch(/still reachable/);
    expect(cheater.vote).toMatchObject({ verdict: Verdict.VERDICT_CHEATER, reason: Reason.REASON_STAT_TEST });
    expect(statTestContradiction(cheater.vote, 200, kCrit, "0.015")).toBeUndefined();
  });
});
