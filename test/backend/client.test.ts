import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  BackendParamsMismatchError,
  BackendRequestError,
  BackendResponseError,
  BackendUnavailableError,
  createBackendClient,
  type GenerateRequest,
  type ReferenceBackend,
  type ReferenceBackendOptions,
  referenceVector,
  startReferenceBackend,
} from "../../src/backend/index.js";
import { binomialPValue, vectorToBase64 } from "../../src/core/index.js";

const params = { model: "Qwen/Qwen3-235B-A22B-Instruct-2507-FP8", seqLen: 1024, kDim: 12 };
const request = (nonces: number[]): GenerateRequest => ({
  blockHash: "3c".repeat(32),
  blockHeight: 42,
  publicKey: "pk-participant",
  nonces,
  params,
});
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const fast = { backoffMs: 5, maxBackoffMs: 20, pollIntervalMs: 5 };

const stopAll: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(stopAll.splice(0).map((stop) => stop()));
});

async function backend(opts: Partial<ReferenceBackendOptions> = {}): Promise<ReferenceBackend> {
  const b = await startReferenceBackend({ profile: "h100-fp8", ...opts });
  stopAll.push(() => b.stop());
  return b;
}

type Reply = { status?: number; body?: unknown; raw?: string; headers?: Record<string, string> } | "drop";

/**
 * A tiny scripted backend: a real loopback server answering from a list, for faults the
 * reference backend never produces (malformed answers). `requests` records what it got.
 */
async function scripted(
  replies: ((req: IncomingMessage, body: unknown) => Reply)[],
): Promise<{ url: string; requests: { method: string; path: string; body: unknown }[] }> {
  const requests: { method: string; path: string; body: unknown }[] = [];
  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString();
    const body = text === "" ? undefined : JSON.parse(text);
    requests.push({ method: req.method ?? "", path: req.url ?? "", body });
    const next = replies[Math.min(requests.length - 1, replies.length - 1)]!;
    const reply = next(req, body);
    if (reply === "drop") {
      req.socket.destroy();
      return;
    }
    const payload = reply.raw ?? JSON.stringify(reply.body);
    res.writeHead(reply.status ?? 200, { "content-type": "application/json", ...reply.headers });
    res.end(payload);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  stopAll.push(
    () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

const goodVector = (nonce: number) =>
  vectorToBase64(referenceVector({ ...request([]), ...params, nonce, profile: "exact" }));
/** A correct completed answer for the nonces of a generate body. */
const completed = (body: unknown, edit: (a: { nonce: number; vector_b64: string }[]) => unknown[] = (a) => a) => ({
  status: "completed",
  request_id: "r",
  artifacts: edit((body as { nonces: number[] }).nonces.map((nonce) => ({ nonce, vector_b64: goodVector(nonce) }))),
  encoding: { dtype: "f16", k_dim: 12, endian: "le" },
});

describe("createBackendClient against the reference backend", () => {
  it("returns the profile's vectors in request order, with wait true and with polling", async () => {
    const b = await backend({ machineId: "m7", noncesPerSecond: 50_000 });
    const nonces = [9, 3, 250, 7, ...range(240).map((i) => 10 + i)];
    const viaWait = await createBackendClient({ url: b.url, batchSize: 100, ...fast }).generate(request(nonces));
    const viaPoll = await createBackendClient({ url: b.url, batchSize: 100, wait: false, ...fast }).generate(
      request(nonces),
    );
    expect(viaWait.map((a) => a.nonce)).toEqual(nonces);
    expect(viaPoll.map((a) => a.vectorB64)).toEqual(viaWait.map((a) => a.vectorB64));
    const expected = referenceVector({ ...request([]), ...params, nonce: 250, profile: "h100-fp8", machineId: "m7" });
    expect(viaWait[2]!.vectorB64).toBe(vectorToBase64(expected));
    expect(viaWait[2]!.vector.length).toBe(12);
  });

  it("splits long nonce lists into batches of batchSize", async () => {
    const b = await backend();
    const before = b.stats().requests;
    const out = await createBackendClient({ url: b.url, batchSize: 100, concurrency: 3, ...fast }).generate(
      request(range(250)),
    );
    expect(out).toHaveLength(250);
    expect(b.stats().requests - before).toBe(3);
    expect(b.stats().jobsCompleted).toBe(3);
  });

  it("retries 503 busy answers and then succeeds", async () => {
    const b = await backend({ faults: { busyNext: 2 } });
    const out = await createBackendClient({ url: b.url, ...fast }).generate(request([0, 1]));
    expect(out).toHaveLength(2);
    expect(b.stats().requests).toBe(3);
  });

  it("rides out a busy period longer than one backoff", async () => {
    const b = await backend({ faults: { busyPeriods: [{ fromMs: 0, forMs: 150 }] } });
    const out = await createBackendClient({ url: b.url, retries: 8, backoffMs: 20, maxBackoffMs: 100 }).generate(
      request([5]),
    );
    expect(out[0]!.nonce).toBe(5);
    expect(b.stats().requests).toBeGreaterThan(1);
  });

  it("gives up with BackendUnavailableError after the retry budget", async () => {
    const b = await backend({ faults: { down: true } });
    const err = await createBackendClient({ url: b.url, retries: 3, ...fast })
      .generate(request([0]))
      .catch((e) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect(err.attempts).toBe(4);
    expect(err.message).toMatch(/503 engine down/);
    expect(b.stats().requests).toBe(4);
  });

  it("throws BackendParamsMismatchError naming the fields on 409, without retrying", async () => {
    const b = await backend({ seqLen: 2048 });
    const err = await createBackendClient({ url: b.url, ...fast })
      .generate({ ...request([0]), params: { ...params, kDim: 16 } })
      .catch((e) => e);
    expect(err).toBeInstanceOf(BackendParamsMismatchError);
    expect(err.fields).toEqual(["seq_len", "k_dim"]);
    expect(err.message).toMatch(/seq_len, k_dim/);
    expect(b.stats().requests).toBe(1);
  });

  it("times out a slow answer per attempt and reports it after the budget", async () => {
    const b = await backend({ faults: { delayMs: 1000 } });
    const t0 = performance.now();
    const err = await createBackendClient({ url: b.url, timeoutMs: 100, retries: 1, ...fast })
      .generate(request([0]))
      .catch((e) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect(err.message).toMatch(/timed out after 100 ms/);
    expect(performance.now() - t0).toBeLessThan(900);
  });

  it("recovers from dropped connections, and reports a backend that always drops", async () => {
    const b = await backend({ faults: { dropNext: 2 } });
    expect(await createBackendClient({ url: b.url, ...fast }).generate(request([1, 2]))).toHaveLength(2);
    b.setFaults({ dropProbability: 1 });
    const err = await createBackendClient({ url: b.url, retries: 2, ...fast })
      .generate(request([1]))
      .catch((e) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect(err.message).toMatch(/connection failed/);
  });

  it("resubmits a job that the backend reports failed", async () => {
    const b = await backend({ faults: { failNextJobs: 1 } });
    const out = await createBackendClient({ url: b.url, wait: false, ...fast }).generate(request([4]));
    expect(out[0]!.nonce).toBe(4);
    expect(b.stats().jobsCompleted).toBe(1);
  });

  it("reports an unreachable backend as unavailable", async () => {
    const b = await backend();
    await b.stop();
    const err = await createBackendClient({ url: b.url, retries: 1, ...fast })
      .generate(request([0]))
      .catch((e) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
  });

  it("stops at once when the caller aborts", async () => {
    const b = await backend({ faults: { delayMs: 2000 } });
    const controller = new AbortController();
    const pending = createBackendClient({ url: b.url, ...fast }).generate(request([0]), { signal: controller.signal });
    setTimeout(() => controller.abort(new Error("caller gave up")), 50);
    const t0 = performance.now();
    await expect(pending).rejects.toThrow("caller gave up");
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it("refuses duplicate nonces before sending anything", async () => {
    const b = await backend();
    await expect(createBackendClient({ url: b.url }).generate(request([1, 2, 1]))).rejects.toThrow(
      /nonce 1 appears twice/,
    );
    expect(b.stats().requests).toBe(0);
  });

  it("validates: another FP8 machine passes, INT4 is detected, batches combine into one test", async () => {
    const participant = await backend({ profile: "a100-fp8", noncesPerSecond: 100_000 });
    const cheater = await backend({ profile: "int4", noncesPerSecond: 100_000 });
    const validator = await backend({ profile: "h100-fp8", noncesPerSecond: 100_000 });
    const client = createBackendClient({ url: validator.url, batchSize: 100, ...fast });
    const statTest = { distThreshold: 0.173663, pMismatch: 0.02, fraudThreshold: 0.05 };
    const nonces = range(300);
    const honestArtifacts = await createBackendClient({ url: participant.url }).generate(request(nonces));
    const honest = await client.validate({ ...request([]), artifacts: honestArtifacts, statTest });
    expect(honest.nTotal).toBe(300);
    expect(honest.nMismatch).toBe(honest.mismatchNonces.length);
    expect(honest.pValue).toBeCloseTo(binomialPValue(honest.nMismatch, 300, 0.02), 12);
    expect(honest.nMismatch).toBeLessThan(15);

    const cheatArtifacts = await createBackendClient({ url: cheater.url }).generate(request(nonces));
    const cheat = await client.validate({ ...request([]), artifacts: cheatArtifacts, statTest });
    expect(cheat.fraudDetected).toBe(true);
    expect(cheat.nMismatch).toBeGreaterThan(150);
  });

  it("reads status, starts continuous generation and stops it", async () => {
    const b = await backend();
    const client = createBackendClient({ url: b.url, ...fast });
    expect(await client.status()).toMatchObject({ state: "idle", profile: "h100-fp8" });
    const sink = await scripted([() => ({ body: {} })]);
    await client.initGenerate({ ...request([]), callbackUrl: sink.url, batchSize: 5, maxNonces: 10 });
    for (let i = 0; i < 100 && sink.requests.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(sink.requests.map((r) => r.path)).toEqual(["/generated", "/generated"]);
    expect(await client.stop()).toMatchObject({ status: "OK" });
  });
});

describe("createBackendClient refuses malformed answers (scripted loopback server)", () => {
  // These faults are answers the reference backend never gives, so a hand-written server gives them.
  it.each([
    [
      "a wrong dtype",
      (body: unknown) => ({ body: { ...completed(body), encoding: { dtype: "bf16", k_dim: 12, endian: "le" } } }),
      "encoding.dtype",
    ],
    [
      "a wrong k_dim",
      (body: unknown) => ({ body: { ...completed(body), encoding: { dtype: "f16", k_dim: 8, endian: "le" } } }),
      "encoding.k_dim",
    ],
    [
      "a NaN vector",
      (body: unknown) => ({
        body: completed(body, (a) =>
          a.map((x, i) => (i === 1 ? { ...x, vector_b64: vectorToBase64(Array(12).fill(Number.NaN)) } : x)),
        ),
      }),
      "artifacts[1].vector_b64",
    ],
    [
      "a short vector",
      (body: unknown) => ({
        body: completed(body, (a) => a.map((x) => ({ ...x, vector_b64: vectorToBase64([0.5, 0.5]) }))),
      }),
      "artifacts[0].vector_b64",
    ],
    ["a missing nonce", (body: unknown) => ({ body: completed(body, (a) => a.slice(1)) }), "artifacts"],
    ["a duplicate nonce", (body: unknown) => ({ body: completed(body, (a) => [...a, a[0]]) }), "artifacts[3].nonce"],
    ["garbage JSON", () => ({ raw: "<html>gateway</html>" }), "(body)"],
    ["an unknown status", () => ({ body: { status: "done" } }), "status"],
  ] as [string, (body: unknown) => Reply, string][])(
    "rejects %s (field %s) without returning vectors or retrying",
    async (_label, reply, field) => {
      const server = await scripted([(_req, body) => reply(body)]);
      const err = await createBackendClient({ url: server.url, ...fast })
        .generate(request([0, 1, 2]))
        .catch((e) => e);
      expect(err).toBeInstanceOf(BackendResponseError);
      expect(err.field).toBe(field);
      expect(server.requests).toHaveLength(1);
    },
  );

  it("retries 429 honouring Retry-After, then accepts a good answer", async () => {
    const server = await scripted([
      () => ({ status: 429, body: { error: "queue full" }, headers: { "retry-after": "0.05" } }),
      (_req, body) => ({ body: completed(body) }),
    ]);
    const t0 = performance.now();
    const out = await createBackendClient({ url: server.url, backoffMs: 1, maxBackoffMs: 1000 }).generate(
      request([0, 1]),
    );
    expect(out.map((a) => a.nonce)).toEqual([0, 1]);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(45);
    expect(server.requests).toHaveLength(2);
  });

  it("sends the wire request of docs/protocol.md, batch_size only when an engine batch is set", async () => {
    const server = await scripted([(_req, body) => ({ body: completed(body) })]);
    await createBackendClient({ url: server.url }).generate({ ...request([4, 5]), nodeId: 2, nodeCount: 3 });
    await createBackendClient({ url: server.url, engineBatchSize: 7, wait: true }).generate(request([6]));
    expect(server.requests[0]!.body).toEqual({
      block_hash: "3c".repeat(32),
      block_height: 42,
      public_key: "pk-participant",
      node_id: 2,
      node_count: 3,
      nonces: [4, 5],
      params: { model: params.model, seq_len: 1024, k_dim: 12 },
      wait: true,
    });
    expect(server.requests[1]!.body).toMatchObject({ nonces: [6], batch_size: 7 });
  });

  it("reads 409 fields from a FastAPI-style detail", async () => {
    const server = await scripted([
      () => ({ status: 409, body: { detail: "model and k_dim differ from the deployed model" } }),
    ]);
    const err = await createBackendClient({ url: server.url })
      .generate(request([0]))
      .catch((e) => e);
    expect(err).toBeInstanceOf(BackendParamsMismatchError);
    expect(err.fields).toEqual(["model", "k_dim"]);
  });

  it("resubmits a queued request the backend forgot (404 on poll)", async () => {
    const server = await scripted([
      () => ({ status: 202, body: { status: "queued", request_id: "gone" } }),
      () => ({ status: 404, body: { error: "unknown request_id" } }),
      (_req, body) => ({ body: completed(body) }),
    ]);
    const out = await createBackendClient({ url: server.url, wait: false, ...fast }).generate(request([3]));
    expect(out[0]!.nonce).toBe(3);
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "POST /api/v1/pow/generate",
      "GET /api/v1/pow/generate/gone",
      "POST /api/v1/pow/generate",
    ]);
  });

  it("treats other 4xx answers as the caller's bug, without retrying", async () => {
    const server = await scripted([() => ({ status: 400, body: { error: "nonces: bad" } })]);
    const err = await createBackendClient({ url: server.url, ...fast })
      .generate(request([0]))
      .catch((e) => e);
    expect(err).toBeInstanceOf(BackendRequestError);
    expect(err.status).toBe(400);
    expect(server.requests).toHaveLength(1);
  });

  it("rejects inconsistent validation answers", async () => {
    const server = await scripted([
      () => ({
        body: {
          status: "completed",
          n_total: 2,
          n_mismatch: 1,
          mismatch_nonces: [99],
          p_value: 0.1,
          fraud_detected: false,
        },
      }),
    ]);
    const err = await createBackendClient({ url: server.url, ...fast })
      .validate({
        ...request([]),
        artifacts: [0, 1].map((nonce) => ({ nonce, vectorB64: goodVector(nonce) })),
        statTest: { distThreshold: 0.17, pMismatch: 0.02, fraudThreshold: 0.05 },
      })
      .catch((e) => e);
    expect(err).toBeInstanceOf(BackendResponseError);
    expect(err.field).toBe("mismatch_nonces[0]");
  });
});
