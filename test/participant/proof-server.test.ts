import { secp256k1 } from "@noble/curves/secp256k1.js";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  addressFromPubKey,
  fromBase64,
  leafHash,
  signedProofAnswerSchema,
  signProofRequest,
  stateResponseSchema,
  toBase64,
  verifyInclusion,
} from "../../src/core/index.js";
import { type ProofServer, startProofServer } from "../../src/participant/proof-server.js";
import { type ArtifactStore, openArtifactStore } from "../../src/participant/store.js";
import { participantAccount, tempDir, testVector } from "./helpers.js";

const STAGE = 40;
const ACCOUNT = participantAccount(3);
const PARTICIPANT = ACCOUNT.participantAddress;
const bondedKey = secp256k1.utils.randomSecretKey();
const bondedAddress = addressFromPubKey(secp256k1.getPublicKey(bondedKey, true), "pocval");
const otherKey = secp256k1.utils.randomSecretKey();
const nowNs = () => BigInt(Date.now()) * 1_000_000n;

let temp: ReturnType<typeof tempDir>;
let store: ArtifactStore;
let server: ProofServer;
let limited: ProofServer;
let stakeReads = 0;

function request(
  overrides: Partial<{
    count: number;
    root_hash: string;
    leaf_indices: number[];
    timestamp_ns: string;
    stage_height: number;
  }> = {},
  key = bondedKey,
) {
  const address = addressFromPubKey(secp256k1.getPublicKey(key, true), "pocval");
  return signProofRequest(
    {
      stage_height: STAGE,
      count: 300,
      root_hash: toBase64(store.root(300)),
      leaf_indices: [0, 17, 150, 299],
      validator_address: address,
      participant_address: PARTICIPANT,
      timestamp_ns: nowNs().toString(),
      ...overrides,
    },
    key,
  );
}

async function post(url: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${url}/pocval/v1/proofs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

beforeAll(async () => {
  temp = tempDir();
  store = openArtifactStore({ dir: temp.dir, stageHeight: STAGE, kDim: 12 });
  for (let i = 0; i < 300; i++) store.append(i, testVector(i));
  store.markCommitted({ count: 150, rootHash: store.root(150) });
  store.markCommitted({ count: 300, rootHash: store.root(300) });
  store.markConfirmed({ count: 150, rootHash: store.root(150) });
  store.markCommitted({ count: 200, rootHash: store.root(200) });
  const stores = { get: (s: number) => (s === STAGE ? store : undefined) };
  const bondedValidators = async (s: number) => {
    stakeReads++;
    if (s === 999) throw new Error("chain unreachable");
    return new Set([bondedAddress]);
  };
  server = await startProofServer({ stores, ...ACCOUNT, bondedValidators });
  limited = await startProofServer({
    stores,
    ...ACCOUNT,
    bondedValidators,
    rateLimit: { capacity: 3, refillPerSecond: 0.01 },
  });
});

afterAll(async () => {
  await server.stop();
  await limited.stop();
  store.close();
  temp.remove();
});

describe("proof server", () => {
  it("listens on loopback and answers the state of the last snapshot the chain accepted", async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const state = async () => {
      const res = await fetch(`${server.url}/pocval/v1/state?stage_height=${STAGE}`);
      expect(res.status).toBe(200);
      return stateResponseSchema.parse(await res.json());
    };
    expect(await state()).toEqual({ stage_height: STAGE, count: 150, root_hash: toBase64(store.root(150)) });
    store.markConfirmed({ count: 300, rootHash: store.root(300) });
    expect(await state()).toEqual({ stage_height: STAGE, count: 300, root_hash: toBase64(store.root(300)) });
    expect((await fetch(`${server.url}/pocval/v1/state?stage_height=41`)).status).toBe(404);
    const bad = await fetch(`${server.url}/pocval/v1/state?stage_height=-1`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/stage_height/);
  });

  it("serves signed requests of a bonded validator with leaves that verify against the committed root", async () => {
    for (const count of [300, 150]) {
      const indices = count === 300 ? [0, 17, 150, 299] : [0, 1, 149];
      const rootHash = store.root(count);
      const { status, json } = await post(
        server.url,
        request({ count, root_hash: toBase64(rootHash), leaf_indices: indices }),
      );
      expect(status).toBe(200);
      const { proofs } = signedProofAnswerSchema.parse(json);
      expect(proofs.map((p) => p.leaf_index)).toEqual(indices);
      for (const p of proofs) {
        expect(p.nonce).toBe(p.leaf_index);
        const vector = fromBase64(p.vector_b64, "vector_b64");
        expect(vector).toEqual(testVector(p.leaf_index));
        const path = p.audit_path.map((a) => fromBase64(a, "audit_path"));
        expect(verifyInclusion(leafHash(p.nonce, vector), p.leaf_index, count, path, rootHash)).toBe(true);
      }
    }
  });

  it("answers 401 to unsigned requests, bad signatures and stale timestamps", async () => {
    const { signature: _s, ...unsigned } = request();
    expect((await post(server.url, unsigned)).status).toBe(401);

    const forged = request();
    const tampered = { ...forged, leaf_indices: [1, 2, 3] };
    const badSig = await post(server.url, tampered);
    expect(badSig.status).toBe(401);
    expect(badSig.json).toEqual({ error: "signature does not verify" });

    // A request meant for another participant is refused by its address before any signature
    // arithmetic (a replay flood costs the server a string compare), even when also tampered.
    const elsewhere = await post(server.url, { ...tampered, participant_address: bondedAddress });
    expect(elsewhere.status).toBe(401);
    expect((elsewhere.json as { error: string }).error).toMatch(/^participant_address: the request is meant for/);

    const wrongKey = { ...request(), pub_key: toBase64(secp256k1.getPublicKey(otherKey, true)) };
    expect((await post(server.url, wrongKey)).status).toBe(401);

    const stale = await post(server.url, request({ timestamp_ns: (nowNs() - 6n * 60n * 1_000_000_000n).toString() }));
    expect(stale.status).toBe(401);
    expect((stale.json as { error: string }).error).toMatch(/timestamp_ns/);
    const future = await post(server.url, request({ timestamp_ns: (nowNs() + 6n * 60n * 1_000_000_000n).toString() }));
    expect(future.status).toBe(401);
  });

  it("answers 403 to a validly signed request from an unbonded account", async () => {
    const res = await post(server.url, request({}, otherKey));
    expect(res.status).toBe(403);
    expect((res.json as { error: string }).error).toMatch(/not bonded/);
  });

  it("answers 503, not 403, when the stake snapshot cannot be read", async () => {
    const res = await post(server.url, request({ stage_height: 999 }));
    expect(res.status).toBe(503);
  });

  it("answers 400 naming the field to malformed and oversized requests", async () => {
    const tooMany = await post(server.url, request({ leaf_indices: Array.from({ length: 501 }, (_, i) => i % 300) }));
    expect(tooMany.status).toBe(400);
    expect((tooMany.json as { error: string }).error).toMatch(/leaf_indices/);
    const notJson = await post(server.url, "{not json");
    expect(notJson.status).toBe(400);
    expect((notJson.json as { error: string }).error).toBe("(body): not valid JSON");
    const badRoot = await post(server.url, { ...request(), root_hash: "AAAA" });
    expect(badRoot.status).toBe(400);
    expect((badRoot.json as { error: string }).error).toMatch(/root_hash/);
    const extra = await post(server.url, { ...request(), extra: 1 });
    expect(extra.status).toBe(400);
    const outside = await post(server.url, request({ leaf_indices: [300] }));
    expect(outside.status).toBe(400);
    expect((outside.json as { error: string }).error).toMatch(/leaf_indices\.0: 300 is outside 0\.\.299/);
    const array = await post(server.url, [1, 2]);
    expect(array.status).toBe(400);
  });

  it("answers 409 to a (count, root) it does not hold", async () => {
    const uncommitted = await post(server.url, request({ count: 250, root_hash: toBase64(store.root(250)) }));
    expect(uncommitted.status).toBe(409);
    const wrongRoot = await post(server.url, request({ count: 300, root_hash: toBase64(store.root(150)) }));
    expect(wrongRoot.status).toBe(409);
    const otherStage = await post(server.url, request({ stage_height: 41 }));
    expect(otherStage.status).toBe(409);
  });

  it("answers 413 to a body over the cap, and 404/405 to other routes and methods", async () => {
    const huge = await post(server.url, { ...request(), padding: "x".repeat(100_000) });
    expect(huge.status).toBe(413);
    expect((await fetch(`${server.url}/pocval/v1/proofs`)).status).toBe(405);
    expect((await fetch(`${server.url}/pocval/v1/state?stage_height=40`, { method: "POST" })).status).toBe(405);
    expect((await fetch(`${server.url}/other`)).status).toBe(404);
  });

  it("rate-limits each validator with 429 and Retry-After", async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${limited.url}/pocval/v1/proofs`, {
        method: "POST",
        body: JSON.stringify(request()),
      });
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get("retry-after");
      await res.arrayBuffer();
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  });

  it("reads each stage's stake snapshot once", async () => {
    const before = stakeReads;
    await post(server.url, request());
    await post(server.url, request());
    expect(stakeReads - before).toBeLessThanOrEqual(1);
  });

  it("never crashes or answers 500 on arbitrary bodies (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.record(
            { ...Object.fromEntries(Object.keys(request()).map((k) => [k, fc.anything()])) },
            { requiredKeys: [] },
          ),
        ),
        async (body) => {
          const { status } = await post(server.url, typeof body === "string" ? body : JSON.stringify(body));
          return status >= 400 && status < 500;
        },
      ),
      { numRuns: 150 },
    );
    const still = await post(server.url, request());
    expect(still.status).toBe(200);
  });
});
