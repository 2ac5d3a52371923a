// Evidence behind a fault vote, end to end with real parts: a participant's proof server with
// the wrong-proof strategy and its real signing key, the sidecar's proof side, its SQLite
// journal, its metrics server's GET /evidence, and `pocval audit --evidence` as a process.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addressFromPubKey, fromBase64, toBase64 } from "../../src/core/index.js";
import { serveCheatOf } from "../../src/participant/cheat.js";
import { type ProofServer, startProofServer } from "../../src/participant/proof-server.js";
import { type ArtifactStore, openArtifactStore } from "../../src/participant/store.js";
import {
  createMetrics,
  faultVote,
  type Journal,
  keyFromMnemonic,
  type MetricsServer,
  openJournal,
  proveSample,
  startMetricsServer,
} from "../../src/sidecar/index.js";
import { runCliAsync } from "../cli/helpers.js";
import { tempDir, testVector } from "../participant/helpers.js";
import { TEST_MNEMONIC } from "./helpers.js";

const STAGE = 24n;
const COUNT = 300;
const participantKey = new Uint8Array(32).fill(0x21);
const participant = addressFromPubKey(secp256k1.getPublicKey(participantKey, true), "pocval");
const validator = await keyFromMnemonic(TEST_MNEMONIC);

let temp: ReturnType<typeof tempDir>;
let store: ArtifactStore;
let server: ProofServer;
let journal: Journal;
let metrics: MetricsServer;
let evidenceJson: string;

beforeAll(async () => {
  temp = tempDir("pocval-evidence-");
  store = openArtifactStore({ dir: join(temp.dir, "store"), stageHeight: Number(STAGE), kDim: 12 });
  for (let i = 0; i < COUNT; i++) store.append(i, testVector(i));
  store.markCommitted({ count: COUNT, rootHash: store.root(COUNT) });
  server = await startProofServer({
    stores: { get: () => store },
    participantAddress: participant,
    signingKey: participantKey,
    bondedValidators: async () => new Set([validator.address]),
    cheat: serveCheatOf({ kind: "wrong-proof" }, () => false),
  });
  journal = openJournal(join(temp.dir, "sidecar.db"));
  metrics = await startMetricsServer({
    host: "127.0.0.1",
    port: 0,
    metrics: createMetrics(),
    health: () => ({ ok: true }),
    evidence: (stage, p) => journal.evidence(stage, p),
  });
}, 60_000);

afterAll(async () => {
  await metrics?.stop();
  journal?.close();
  await server?.stop();
  store?.close();
  temp?.remove();
});

describe("evidence behind a fault vote", () => {
  it("the sidecar keeps the signed answer, serves it at /evidence, and audit accepts it", async () => {
    const result = await proveSample({
      stageHeight: STAGE,
      samplingBlockHash: "ab".repeat(32),
      sampleSize: 200,
      kDim: 12,
      validatorAddress: validator.address,
      privateKey: validator.privateKey,
      participantAddress: participant,
      proofApiUrl: server.url,
      count: BigInt(COUNT),
      rootHash: store.root(COUNT),
      budget: 2,
      responseMs: 10_000,
      proofApi: { batchSize: 500, maxResponseBytes: 1 << 22, retry: { baseDelayMs: 10, maxDelayMs: 20 } },
    });
    expect("fault" in result).toBe(true);
    if (!("fault" in result)) return;
    const evidence = result.fault.evidence!;
    expect(evidence).toMatchObject({ participant, reason: "INVALID_PROOF", k_dim: 12 });
    expect(
      journal.recordDecision(
        STAGE,
        faultVote(participant, result.indices, result.fault.reason),
        JSON.stringify(evidence),
      ),
    ).toBe(true);

    const res = await fetch(`${metrics.url}/evidence?stage_height=${STAGE}&participant=${participant}`);
    expect(res.status).toBe(200);
    evidenceJson = await res.text();
    expect(JSON.parse(evidenceJson)).toEqual(evidence);
    expect((await fetch(`${metrics.url}/evidence?stage_height=${STAGE}&participant=pocval1nobody`)).status).toBe(404);
    expect((await fetch(`${metrics.url}/evidence?stage_height=x&participant=${participant}`)).status).toBe(400);

    const file = join(temp.dir, "evidence.json");
    writeFileSync(file, evidenceJson);
    const audit = await runCliAsync(["audit", "--evidence", file], 60_000);
    expect(audit.status).toBe(0);
    const out = JSON.parse(audit.stdout);
    expect(out).toMatchObject({ valid: true, participant, leaf_index: result.indices[0] });
    expect(out.reason).toMatch(/^INVALID_PROOF/);
  }, 120_000);

  it("audit refuses the same evidence with a tampered leaf (exit 1)", async () => {
    const tampered = JSON.parse(evidenceJson);
    const bytes = fromBase64(tampered.answer.proofs[0].vector_b64, "vector_b64");
    bytes[0]! ^= 0x01; // undoes the cheat's flip: the leaf now verifies, but the signature does not
    tampered.answer.proofs[0].vector_b64 = toBase64(bytes);
    const file = join(temp.dir, "tampered.json");
    writeFileSync(file, JSON.stringify(tampered));
    const audit = await runCliAsync(["audit", "--evidence", file], 60_000);
    expect(audit.status).toBe(1);
    expect(JSON.parse(audit.stdout)).toMatchObject({
      valid: false,
      reason: expect.stringMatching(/participant_signature/),
    });
    const missing = await runCliAsync(["audit", "--evidence", join(temp.dir, "none.json")], 60_000);
    expect(missing.status).toBe(2);
  }, 120_000);
});
