// The recompute queue against the real reference backend, healthy, down, mismatched or recovering,
// and against a small hand-written backend that is deliberately faulty.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  createBackendClient,
  DEFAULT_POC_PARAMS,
  type ReferenceBackend,
  referenceVector,
  startReferenceBackend,
} from "../../src/backend/index.js";
import { encodeVector } from "../../src/core/index.js";
import { createRecomputeQueue, RecomputeFailedError, type RecomputeQueue } from "../../src/sidecar/index.js";

const SEED = "ab".repeat(32);
const job = (nonces: number[], publicKey = "pk-1") => ({
  generationSeed: SEED,
  stageHeight: 10,
  publicKey,
  nonces,
  params: { ...DEFAULT_POC_PARAMS },
});
const started: { stop(): unknown }[] = [];
afterEach(async () => {
  for (const s of started.splice(0)) await s.stop();
});
async function backend(opts: Partial<Parameters<typeof startReferenceBackend>[0]> = {}): Promise<ReferenceBackend> {
  const b = await startReferenceBackend({ profile: "h100-fp8", ...opts });
  started.push(b);
  return b;
}
function queue(urls: string[], opts: Partial<Parameters<typeof createRecomputeQueue>[0]> = {}): RecomputeQueue {
  const q = createRecomputeQueue({
    backends: urls.map((url) => createBackendClient({ url, retries: 0, timeoutMs: 5_000 })),
    concurrency: 2,
    batchSize: 50,
    retry: { attempts: 4, baseDelayMs: 5, maxDelayMs: 20 },
    ...opts,
  });
  started.push({ stop: () => q.close() });
  return q;
}

describe("recompute queue", () => {
  it("returns the backend's vectors in nonce order, split into backend-sized requests", async () => {
    const b = await backend();
    const requests: number[] = [];
    const q = queue([b.url], { onRequest: (e) => requests.push(e.nonces) });
    const nonces = Array.from({ length: 120 }, (_, i) => 1000 - i * 3);
    const vectors = await q.recompute(job(nonces));
    expect(vectors.length).toBe(120);
    const expected = referenceVector({
      blockHash: SEED,
      publicKey: "pk-1",
      nonce: nonces[7]!,
      ...DEFAULT_POC_PARAMS,
      profile: "h100-fp8",
      machineId: b.machineId,
    });
    for (let j = 0; j < 12; j++) expect(vectors[7]![j]).toBeCloseTo(expected[j]!, 2);
    expect(requests.sort()).toEqual([20, 50, 50]);
  });

  it("keeps the backend busy: many jobs pipeline up to the concurrency", async () => {
    const b = await backend({ noncesPerSecond: 4_000 });
    let inFlightMax = 0;
    const q = queue([b.url], { concurrency: 3 });
    const jobs = Array.from({ length: 12 }, (_, p) => q.recompute(job([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], `pk-${p}`)));
    const probe = setInterval(() => {
      inFlightMax = Math.max(inFlightMax, q.load().inFlight);
    }, 2);
    await Promise.all(jobs);
    clearInterval(probe);
    expect(inFlightMax).toBe(3);
    expect(b.stats().noncesGenerated).toBe(120);
  });

  it("retries a backend that is busy for a while and then recovers", async () => {
    const b = await backend({ faults: { busyNext: 3 } });
    const errors: string[] = [];
    const q = queue([b.url], { concurrency: 1, onRequest: (e) => e.error && errors.push(e.error.name) });
    const vectors = await q.recompute(job([5, 6]));
    expect(vectors.length).toBe(2);
    expect(errors.length).toBe(3);
  });

  it("fails with RecomputeFailedError when the backend stays down, and on a params mismatch (409)", async () => {
    const down = await backend({ faults: { down: true } });
    await expect(queue([down.url]).recompute(job([1]))).rejects.toBeInstanceOf(RecomputeFailedError);
    const other = await backend({ model: "some/other-model" });
    const err = (await queue([other.url])
      .recompute(job([1]))
      .catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(RecomputeFailedError);
    expect(err.message).toMatch(/model/);
  });

  it("moves work to a healthy backend when another is down", async () => {
    const down = await backend({ faults: { down: true } });
    const up = await backend();
    // The budget leaves the healthy backend time to answer on a loaded machine.
    const q = queue([down.url, up.url], { retry: { attempts: 50, baseDelayMs: 20, maxDelayMs: 200 } });
    const all = await Promise.all(Array.from({ length: 6 }, (_, p) => q.recompute(job([1, 2, 3], `pk-${p}`))));
    expect(all.every((v) => v.length === 3)).toBe(true);
  });

  it("rejects a cancelled job with the signal's reason before any backend failure", async () => {
    const b = await backend({ noncesPerSecond: 1 });
    const q = queue([b.url], { retry: { attempts: 1000, baseDelayMs: 50, maxDelayMs: 50 } });
    await q.recompute(job([1]), AbortSignal.timeout(100)).then(
      () => expect.unreachable(),
      (err: unknown) => expect((err as Error).name).toMatch(/TimeoutError|AbortError/),
    );
  });

  it("blames the backend when a job is cancelled after backend failures", async () => {
    const b = await backend({ faults: { down: true } });
    const q = queue([b.url], { retry: { attempts: 1000, baseDelayMs: 50, maxDelayMs: 50 } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("window closed")), 100);
    const err = (await q.recompute(job([1]), controller.signal).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(RecomputeFailedError);
    expect(err.message).toMatch(/cancelled after \d+ failed backend attempt/);
  });

  it("survives a deliberately faulty backend: garbage JSON, missing artifacts, NaN vectors, wrong nonces", async () => {
    const nan = Buffer.from(encodeVector(new Array(12).fill(Number.NaN))).toString("base64");
    const good = Buffer.from(encodeVector(new Array(12).fill(0.25))).toString("base64");
    const answers: ((nonces: number[]) => string)[] = [
      () => "{status: completed",
      () =>
        JSON.stringify({
          status: "completed",
          request_id: "r",
          artifacts: [],
          encoding: { dtype: "f16", k_dim: 12, endian: "le" },
        }),
      (nonces) =>
        JSON.stringify({
          status: "completed",
          request_id: "r",
          artifacts: nonces.map((nonce) => ({ nonce, vector_b64: nan })),
          encoding: { dtype: "f16", k_dim: 12, endian: "le" },
        }),
      (nonces) =>
        JSON.stringify({
          status: "completed",
          request_id: "r",
          artifacts: nonces.map((nonce) => ({ nonce: nonce + 1, vector_b64: good })),
          encoding: { dtype: "f16", k_dim: 12, endian: "le" },
        }),
    ];
    for (const answer of answers) {
      const server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
          const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { nonces: number[] };
          res.writeHead(200, { "content-type": "application/json" }).end(answer(body.nonces));
        });
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      started.push({ stop: () => new Promise<void>((r) => server.close(() => r())) });
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const err = (await queue([url])
        .recompute(job([1, 2]))
        .catch((e: unknown) => e)) as Error;
      expect(err).toBeInstanceOf(RecomputeFailedError);
    }
  });
});
