import { createHash } from "node:crypto";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { referenceVector } from "../../src/backend/profiles.js";
import {
  addressFromPubKey,
  binomialPValue,
  bytesEqual,
  decodeVector,
  encodeVector,
  fromBase64,
  type LeafProof,
  l2Distance,
  leafHash,
  sampleIndices,
  sha256,
  signedProofAnswerSchema,
  signProofRequest,
  toBase64,
  verifyInclusion,
} from "../../src/core/index.js";
import {
  type CheatStrategy,
  InvalidCheatError,
  parseCheat,
  planBatch,
  randomUnitVector,
  serveCheatOf,
  withholdRefuses,
} from "../../src/participant/cheat.js";
import { strategyCompute } from "../../src/participant/compute.js";
import { appendBatch } from "../../src/participant/generate.js";
import { startProofServer } from "../../src/participant/proof-server.js";
import { openArtifactStore } from "../../src/participant/store.js";
import { participantAccount, profileBackend, STAGE, tempDir } from "./helpers.js";

const PARTICIPANT = participantAccount(5);

const THRESHOLD = 0.173663;
const COUNT = 1200;
const PARTICIPANT_KEY = "participant-pk";
// A fixed key: the validator's sample, and so the honest participant's p-value, is reproducible
// (a random key would fail the honest check about 5% of the time, as alpha says it should).
const validatorKey = sha256(new TextEncoder().encode("pocval/test/participant-cheat-validator"));
const validatorAddress = addressFromPubKey(secp256k1.getPublicKey(validatorKey, true), "pocval");
const temp = tempDir();
afterAll(() => temp.remove());

describe("parseCheat", () => {
  it("reads every strategy and its parameter", () => {
    expect(parseCheat(undefined)).toEqual({ kind: "honest" });
    expect(parseCheat("int4")).toEqual({ kind: "int4" });
    expect(parseCheat("random:0.1")).toEqual({ kind: "random", fraction: 0.1 });
    expect(parseCheat("partial:1")).toEqual({ kind: "partial", fraction: 1 });
    expect(parseCheat("inflate:2.5")).toEqual({ kind: "inflate", factor: 2.5 });
    for (const k of ["replay", "bad-nonce", "wrong-proof", "withhold", "replay-flood"])
      expect(parseCheat(k)).toEqual({ kind: k });
  });

  it("refuses unknown names and bad parameters with a message listing the strategies", () => {
    for (const bad of [
      "nope",
      "random",
      "random:0",
      "random:1.5",
      "random:x",
      "inflate:1",
      "int4:2",
      "partial:0.1:2",
      "random:-1",
      "",
    ]) {
      expect(() => parseCheat(bad), bad).toThrow(InvalidCheatError);
    }
    expect(() => parseCheat("nope")).toThrow(/unknown strategy "nope".*int4, random:F/);
    expect(() => parseCheat("inflate:0.5")).toThrow(/\(1, 1000\]/);
  });
});

describe("randomUnitVector", () => {
  it("is bit-identical to the recorded vectors (Box-Muller moved to core's sha256Gaussians)", () => {
    const digest = createHash("sha256");
    for (const kDim of [1, 2, 12, 13, 100]) {
      const v = randomUnitVector(new Uint8Array([1, 2, 3, kDim]), kDim);
      expect(Math.hypot(...v)).toBeCloseTo(1, 12);
      digest.update(Buffer.from(v.buffer));
    }
    expect(digest.digest("hex")).toBe("433b5ced06eabcc0422bc549012d73abd6a6a227ca2f63841327cb3af242e341");
  });
});

describe("planBatch", () => {
  const strategies = fc.oneof(
    fc.constantFrom<CheatStrategy>(
      { kind: "honest" },
      { kind: "int4" },
      { kind: "replay" },
      { kind: "bad-nonce" },
      { kind: "wrong-proof" },
      { kind: "withhold" },
    ),
    fc.double({ min: 0.01, max: 1, noNaN: true }).map((fraction): CheatStrategy => ({ kind: "random", fraction })),
    fc.double({ min: 0.01, max: 1, noNaN: true }).map((fraction): CheatStrategy => ({ kind: "partial", fraction })),
    fc.double({ min: 1.01, max: 10, noNaN: true }).map((factor): CheatStrategy => ({ kind: "inflate", factor })),
  );

  it("plans consecutive leaves whose computed vectors are all requested (property)", () => {
    fc.assert(
      fc.property(strategies, fc.nat(10_000), fc.integer({ min: 1, max: 300 }), (strategy, start, length) => {
        const plan = planBatch(strategy, start, length);
        const asked = new Set(plan.computeNonces);
        return (
          plan.leaves.length === length &&
          plan.leaves.every((l, i) => l.index === start + i) &&
          plan.leaves.every((l) => l.vector.from !== "compute" || asked.has(l.vector.nonce)) &&
          plan.leaves.every((l) => strategy.kind === "bad-nonce" || l.nonce === l.index) &&
          plan.computeNonces.length <= length
        );
      }),
    );
  });

  it("computes only about 1/F of an inflated batch", () => {
    const plan = planBatch({ kind: "inflate", factor: 4 }, 100, 400);
    expect(plan.computeNonces.length).toBe(100);
    expect(plan.leaves.filter((l) => l.vector.from === "filler").length).toBe(300);
  });
});

/** What a validator sees of a participant that followed `strategy`. */
async function servedSample(strategy: CheatStrategy, name: string, inValidationWindow: () => boolean = () => true) {
  const store = openArtifactStore({ dir: `${temp.dir}/${name}`, stageHeight: STAGE.stageHeight, kDim: STAGE.kDim });
  const compute = strategyCompute(strategy, STAGE, {
    backend: profileBackend("h100-fp8", "participant"),
    publicKey: PARTICIPANT_KEY,
    replayPublicKey: "someone-else-pk",
    machineId: "participant",
  });
  let computed = 0;
  while (store.size < COUNT) {
    computed += (await appendBatch(store, strategy, Math.min(250, COUNT - store.size), compute, new Uint8Array([7])))
      .computed;
  }
  const rootHash = store.root();
  store.markCommitted({ count: store.size, rootHash });
  const server = await startProofServer({
    stores: { get: () => store },
    ...PARTICIPANT,
    bondedValidators: async () => new Set([validatorAddress]),
    cheat: serveCheatOf(strategy, inValidationWindow),
  });
  try {
    const indices = sampleIndices({
      stageHeight: STAGE.stageHeight,
      samplingBlockHash: "cd".repeat(32),
      validatorAddress,
      participantAddress: PARTICIPANT.participantAddress,
      count: COUNT,
      sampleSize: 200,
    });
    const body = signProofRequest(
      {
        stage_height: STAGE.stageHeight,
        count: COUNT,
        root_hash: toBase64(rootHash),
        leaf_indices: indices,
        validator_address: validatorAddress,
        participant_address: PARTICIPANT.participantAddress,
        timestamp_ns: (BigInt(Date.now()) * 1_000_000n).toString(),
      },
      validatorKey,
    );
    const res = await fetch(`${server.url}/pocval/v1/proofs`, { method: "POST", body: JSON.stringify(body) });
    const json = await res.json();
    const proofs = res.status === 200 ? signedProofAnswerSchema.parse(json).proofs : [];
    return { status: res.status, proofs, rootHash, computed, store };
  } finally {
    await server.stop();
    store.close();
  }
}

/** The validator's checks of docs/protocol.md with src/core: proof, nonce, vector, distance. */
function check(proofs: LeafProof[], rootHash: Uint8Array) {
  return proofs.map((p) => {
    const vectorBytes = fromBase64(p.vector_b64, "vector_b64");
    const path = p.audit_path.map((a) => fromBase64(a, "audit_path"));
    const proofOk = verifyInclusion(leafHash(p.nonce, vectorBytes), p.leaf_index, COUNT, path, rootHash);
    const vector = decodeVector(vectorBytes, STAGE.kDim);
    const recomputed = referenceVector({
      blockHash: STAGE.generationSeed,
      publicKey: PARTICIPANT_KEY,
      nonce: p.leaf_index,
      model: STAGE.model,
      seqLen: STAGE.seqLen,
      kDim: STAGE.kDim,
      profile: "b200-fp8",
      machineId: "validator",
    });
    return { proofOk, nonceOk: p.nonce === p.leaf_index, distance: l2Distance(vector, recomputed), vectorBytes, p };
  });
}

function verdict(checks: ReturnType<typeof check>) {
  const mismatches = checks.filter((c) => c.distance > THRESHOLD).length;
  const mean = checks.reduce((a, c) => a + c.distance, 0) / checks.length;
  return { mismatches, mean, pValue: binomialPValue(mismatches, checks.length, 0.02) };
}

function honestVector(nonce: number, publicKey = PARTICIPANT_KEY): Uint8Array {
  return encodeVector(
    referenceVector({
      blockHash: STAGE.generationSeed,
      publicKey,
      nonce,
      model: STAGE.model,
      seqLen: STAGE.seqLen,
      kDim: STAGE.kDim,
      profile: "h100-fp8",
      machineId: "participant",
    }),
  );
}

describe("served leaves of each strategy", () => {
  let honest: Awaited<ReturnType<typeof servedSample>>;
  beforeAll(async () => {
    honest = await servedSample({ kind: "honest" }, "honest");
  });

  it("honest: every leaf verifies, nonces match, and the binomial test passes", () => {
    expect(honest.status).toBe(200);
    expect(honest.proofs).toHaveLength(200);
    const checks = check(honest.proofs, honest.rootHash);
    expect(checks.every((c) => c.proofOk && c.nonceOk)).toBe(true);
    const v = verdict(checks);
    expect(v.mean).toBeLessThan(0.12);
    expect(v.pValue).toBeGreaterThanOrEqual(0.05);
    expect(honest.computed).toBe(COUNT);
  });

  it("int4: proofs verify but the quantized vectors sit about 0.2-0.3 away and fail the test", async () => {
    const r = await servedSample({ kind: "int4" }, "int4");
    const checks = check(r.proofs, r.rootHash);
    expect(checks.every((c) => c.proofOk && c.nonceOk)).toBe(true);
    const v = verdict(checks);
    expect(v.mean).toBeGreaterThan(0.15);
    expect(v.mean).toBeLessThan(0.4);
    expect(v.pValue).toBeLessThan(0.05);
  });

  it("random:0.3: about 30% of the vectors are far off", async () => {
    const r = await servedSample({ kind: "random", fraction: 0.3 }, "random");
    const checks = check(r.proofs, r.rootHash);
    expect(checks.every((c) => c.proofOk && c.nonceOk)).toBe(true);
    const far = checks.filter((c) => c.distance > 0.5).length / checks.length;
    expect(far).toBeGreaterThan(0.18);
    expect(far).toBeLessThan(0.42);
    expect(verdict(checks).pValue).toBeLessThan(1e-6);
    expect(r.computed).toBeLessThan(COUNT * 0.8);
  });

  it("partial:0.5: skipped leaves carry the vector of another nonce", async () => {
    const r = await servedSample({ kind: "partial", fraction: 0.5 }, "partial");
    const checks = check(r.proofs, r.rootHash);
    expect(checks.every((c) => c.proofOk && c.nonceOk)).toBe(true);
    const copies = checks.filter((c) => !bytesEqual(c.vectorBytes, honestVector(c.p.leaf_index)));
    expect(copies.length).toBeGreaterThan(60);
    for (const c of copies.slice(0, 10)) {
      const source = [...Array(c.p.leaf_index).keys()]
        .reverse()
        .find((n) => bytesEqual(honestVector(n), c.vectorBytes));
      expect(source).toBeDefined();
    }
    expect(verdict(checks).pValue).toBeLessThan(1e-6);
    expect(r.computed).toBeLessThan(COUNT * 0.7);
  });

  it("inflate:2: half the committed leaves are zero filler, computed on nothing", async () => {
    const r = await servedSample({ kind: "inflate", factor: 2 }, "inflate");
    expect(r.computed).toBe(COUNT / 2);
    const checks = check(r.proofs, r.rootHash);
    expect(checks.every((c) => c.proofOk && c.nonceOk)).toBe(true);
    const filler = checks.filter((c) => c.vectorBytes.every((b) => b === 0));
    expect(filler.length / checks.length).toBeGreaterThan(0.35);
    expect(filler.length / checks.length).toBeLessThan(0.65);
    for (const c of filler) expect(c.distance).toBeCloseTo(1, 2);
    expect(verdict(checks).pValue).toBeLessThan(1e-6);
  });

  it("replay: the vectors are another key's, unrelated to the participant's inputs", async () => {
    const r = await servedSample({ kind: "replay" }, "replay");
    const checks = check(r.proofs, r.rootHash);
    expect(checks.every((c) => c.proofOk && c.nonceOk)).toBe(true);
    for (const c of checks.slice(0, 20)) expect(c.vectorBytes).toEqual(honestVector(c.p.leaf_index, "someone-else-pk"));
    const v = verdict(checks);
    expect(v.mean).toBeGreaterThan(1);
    expect(v.mismatches).toBeGreaterThan(190);
  });

  it("bad-nonce: odd leaves repeat the nonce before them", async () => {
    const r = await servedSample({ kind: "bad-nonce" }, "bad-nonce");
    const checks = check(r.proofs, r.rootHash);
    expect(checks.every((c) => c.proofOk)).toBe(true);
    for (const c of checks) {
      expect(c.nonceOk).toBe(c.p.leaf_index % 2 === 0);
      if (c.p.leaf_index % 2 === 1) expect(c.p.nonce).toBe(c.p.leaf_index - 1);
    }
    expect(checks.some((c) => !c.nonceOk)).toBe(true);
    expect(r.computed).toBe(COUNT / 2);
  });

  it("wrong-proof: no served leaf verifies against the committed root", async () => {
    const r = await servedSample({ kind: "wrong-proof" }, "wrong-proof");
    expect(r.status).toBe(200);
    const checks = check(r.proofs, r.rootHash);
    expect(checks.some((c) => c.proofOk)).toBe(false);
    // The stored data is the honest one: only the serving is wrong.
    expect(bytesEqual(r.rootHash, honest.rootHash)).toBe(true);
  });

  it("withhold (D6): decides from the window of the request's stage, so a stale poll never serves inside it", async () => {
    // Stage 40 with commit_window 16 and validation_window 32: validation runs 57..88.
    const stage = { validationEndHeight: 88n };
    // The first request comes at the first validation height, 57; the agent last polled at 56
    // (one block stale): the old rule (serve once the polled height passed commit_end 56) served it.
    expect(withholdRefuses(stage, 56n)).toBe(true);
    const stale = await servedSample({ kind: "withhold" }, "withhold-stale", () => withholdRefuses(stage, 56n));
    expect(stale.status).toBe(503);
    // Any polled height at most the chain's, chain inside the window: refused.
    fc.assert(
      fc.property(fc.bigInt({ min: 57n, max: 88n }), fc.bigInt({ min: 0n, max: 88n }), (chain, lag) => {
        const polled = chain - lag < 0n ? 0n : chain - lag;
        return withholdRefuses(stage, polled);
      }),
    );
    // After the window it serves again (it wants to look available); a stage it never saw is refused.
    const after = await servedSample({ kind: "withhold" }, "withhold-after", () => withholdRefuses(stage, 89n));
    expect(after.status).toBe(200);
    expect(withholdRefuses(undefined, 1_000n)).toBe(true);
  });

  it("withhold: proof requests are refused with 503 in the validation window", async () => {
    const r = await servedSample({ kind: "withhold" }, "withhold");
    expect(r.status).toBe(503);
    expect(bytesEqual(r.rootHash, honest.rootHash)).toBe(true);
  });
});
