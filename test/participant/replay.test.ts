// D1 (issue 11): a proof request validator V sent to participant A, replayed byte for byte to
// honest participant B, must not drain V's rate-limit tokens at B nor make V vote B UNAVAILABLE.
// Real proof servers on loopback, real stores, real signatures; nothing is mocked.
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addressFromPubKey, signProofRequest, toBase64 } from "../../src/core/index.js";
import { serveCheatOf } from "../../src/participant/cheat.js";
import { type ProofServer, startProofServer } from "../../src/participant/proof-server.js";
import { createReplayFlood } from "../../src/participant/replay-flood.js";
import { type ArtifactStore, openArtifactStore } from "../../src/participant/store.js";
import { fetchProofs } from "../../src/sidecar/proof-client.js";
import { participantAccount, tempDir, testVector } from "./helpers.js";

const STAGE = 40;
const COUNT = 64;
const validatorKey = secp256k1.utils.randomSecretKey();
const validator = addressFromPubKey(secp256k1.getPublicKey(validatorKey, true), "pocval");
const nowNs = () => BigInt(Date.now()) * 1_000_000n;
// A small bucket that refills slowly: a drained bucket stays drained for the whole test.
const RATE = { capacity: 10, refillPerSecond: 0.01 };

interface Side {
  address: string;
  temp: ReturnType<typeof tempDir>;
  store: ArtifactStore;
  server: ProofServer;
}
let a: Side;
let b: Side;

async function participant(account: { signingKey: Uint8Array; participantAddress: string }): Promise<Side> {
  const address = account.participantAddress;
  const salt = account.signingKey[0]!;
  const temp = tempDir();
  const store = openArtifactStore({ dir: temp.dir, stageHeight: STAGE, kDim: 12 });
  for (let i = 0; i < COUNT; i++) store.append(i, testVector(i, 12, salt));
  store.markCommitted({ count: COUNT, rootHash: store.root(COUNT) });
  store.markConfirmed({ count: COUNT, rootHash: store.root(COUNT) });
  const server = await startProofServer({
    stores: { get: (s: number) => (s === STAGE ? store : undefined) },
    ...account,
    bondedValidators: async () => new Set([validator]),
    rateLimit: RATE,
  });
  return { address, temp, store, server };
}

beforeAll(async () => {
  a = await participant(participantAccount(1));
  b = await participant(participantAccount(2));
});
afterAll(async () => {
  for (const side of [a, b]) {
    await side.server.stop();
    side.store.close();
    side.temp.remove();
  }
});

async function post(url: string, body: string): Promise<number> {
  const res = await fetch(`${url}/pocval/v1/proofs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

describe("replayed proof requests (D1)", () => {
  it("are refused at another participant before any token is taken, so the validator's own check passes", async () => {
    // What V sent to A, as A (the attacker) received it.
    const toA = JSON.stringify(
      signProofRequest(
        {
          stage_height: STAGE,
          count: COUNT,
          root_hash: toBase64(a.store.root(COUNT)),
          leaf_indices: [0, 1, 2, 3],
          validator_address: validator,
          participant_address: a.address,
          timestamp_ns: nowNs().toString(),
        },
        validatorKey,
      ),
    );
    // A replays it to B three times the bucket, 10 in flight.
    const statuses: number[] = [];
    for (let round = 0; round < (3 * RATE.capacity) / 10; round++) {
      statuses.push(...(await Promise.all(Array.from({ length: 10 }, () => post(b.server.url, toA)))));
    }
    const refusedByLimit = statuses.filter((s) => s === 429).length;
    console.log(`replays at B: ${JSON.stringify(countBy(statuses))}`);
    // Then V checks B honestly, with a retry budget of 5.
    const result = await fetchProofs({
      baseUrl: b.server.url,
      stageHeight: STAGE,
      count: COUNT,
      rootHashB64: toBase64(b.store.root(COUNT)),
      leafIndices: [5, 6, 7],
      validatorAddress: validator,
      participantAddress: b.address,
      privateKey: validatorKey,
      maxResponseBytes: 1 << 20,
      batchSize: 500,
      budget: 5,
      responseMs: 5_000,
      retry: { baseDelayMs: 5, maxDelayMs: 20 },
    });
    console.log(`V's check of B: ${result.ok ? "ok" : `${result.reason} ${result.detail}`}`);
    expect(refusedByLimit).toBe(0);
    expect(statuses.every((s) => s === 401)).toBe(true);
    expect(result.ok).toBe(true);
  }, 60_000);

  it("are refused at the participant they were meant for once served (the replay cache)", async () => {
    const body = JSON.stringify(
      signProofRequest(
        {
          stage_height: STAGE,
          count: COUNT,
          root_hash: toBase64(a.store.root(COUNT)),
          leaf_indices: [9],
          validator_address: validator,
          participant_address: a.address,
          timestamp_ns: nowNs().toString(),
        },
        validatorKey,
      ),
    );
    const statuses = await Promise.all(Array.from({ length: 8 }, () => post(a.server.url, body)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 401)).toHaveLength(7);
  }, 60_000);
});

describe("the replay-flood participant", () => {
  it("forwards every request it receives to the others, who refuse them all without spending a token", async () => {
    const flood = createReplayFlood({ targets: async () => [b.server.url], copies: 40, log: () => {} });
    const attacker = await startProofServer({
      stores: { get: (s: number) => (s === STAGE ? a.store : undefined) },
      participantAddress: a.address,
      signingKey: new Uint8Array(32).fill(1),
      bondedValidators: async () => new Set([validator]),
      cheat: serveCheatOf({ kind: "replay-flood" }, () => false, flood.observe),
    });
    try {
      // V checks the attacker: it is served (the attacker's own work is honest)...
      const own = await fetchProofs({
        baseUrl: attacker.url,
        stageHeight: STAGE,
        count: COUNT,
        rootHashB64: toBase64(a.store.root(COUNT)),
        leafIndices: [10, 11],
        validatorAddress: validator,
        participantAddress: a.address,
        privateKey: validatorKey,
        maxResponseBytes: 1 << 20,
        batchSize: 500,
        budget: 5,
        responseMs: 5_000,
        retry: { baseDelayMs: 5, maxDelayMs: 20 },
      });
      expect(own.ok).toBe(true);
      // ...and the attacker replays V's request 40 times to B, 16 in flight.
      const deadline = Date.now() + 30_000;
      while (Object.values(flood.stats()).reduce((x, y) => x + y, 0) < 40 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      console.log(`replay-flood answers from B: ${JSON.stringify(flood.stats())}`);
      expect(flood.stats()).toEqual({ 401: 40 });
      const check = await fetchProofs({
        baseUrl: b.server.url,
        stageHeight: STAGE,
        count: COUNT,
        rootHashB64: toBase64(b.store.root(COUNT)),
        leafIndices: [12],
        validatorAddress: validator,
        participantAddress: b.address,
        privateKey: validatorKey,
        maxResponseBytes: 1 << 20,
        batchSize: 500,
        budget: 1,
        responseMs: 5_000,
        retry: { baseDelayMs: 5, maxDelayMs: 20 },
      });
      expect(check.ok).toBe(true);
    } finally {
      await flood.stop();
      await attacker.stop();
    }
  }, 60_000);
});

const ME = participantAccount(9);

describe("the proof server's order of checks", () => {
  it("takes a rate-limit token only after participant, bonding and (count, root) pass", async () => {
    const temp = tempDir();
    const store = openArtifactStore({ dir: temp.dir, stageHeight: STAGE, kDim: 12 });
    for (let i = 0; i < COUNT; i++) store.append(i, testVector(i));
    store.markCommitted({ count: COUNT, rootHash: store.root(COUNT) });
    const other = secp256k1.utils.randomSecretKey();
    const server = await startProofServer({
      stores: { get: (s: number) => (s === STAGE ? store : undefined) },
      ...ME,
      bondedValidators: async () => new Set([validator]),
      rateLimit: { capacity: 1, refillPerSecond: 0.001 },
    });
    try {
      const ask = async (
        over: Partial<{ participant_address: string; root_hash: string; leaf_indices: number[] }> = {},
        key = validatorKey,
      ) =>
        post(
          server.url,
          JSON.stringify(
            signProofRequest(
              {
                stage_height: STAGE,
                count: COUNT,
                root_hash: toBase64(store.root(COUNT)),
                leaf_indices: [1],
                validator_address: addressFromPubKey(secp256k1.getPublicKey(key, true), "pocval"),
                participant_address: ME.participantAddress,
                timestamp_ns: nowNs().toString(),
                ...over,
              },
              key,
            ),
          ),
        );
      expect(await ask({ participant_address: "pocval1someoneelse" })).toBe(401);
      expect(await ask({}, other)).toBe(403);
      expect(await ask({ root_hash: toBase64(store.root(COUNT - 1)) })).toBe(409);
      expect(await ask({ leaf_indices: [COUNT] })).toBe(400);
      // The single token is still there.
      expect(await ask()).toBe(200);
      expect(await ask({ leaf_indices: [2] })).toBe(429);
    } finally {
      await server.stop();
      store.close();
      temp.remove();
    }
  }, 60_000);
});

function countBy(xs: number[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}
