import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import {
  type ReferenceBackend,
  type ReferenceBackendOptions,
  referenceVector,
  startReferenceBackend,
} from "../../src/backend/index.js";
import { binomialPValue, vectorFromBase64, vectorToBase64 } from "../../src/core/index.js";
import { until } from "../sidecar/integration-helpers.js";

const MODEL = "Qwen/Qwen3-235B-A22B-Instruct-2507-FP8";
const BLOCK_HASH = "0f".repeat(32);
const PUBLIC_KEY = "participant-key-1";
const params = { model: MODEL, seq_len: 1024, k_dim: 12 };
const started: ReferenceBackend[] = [];
// Answers are read loosely here; the assertions are what check their shape.
// biome-ignore lint/suspicious/noExplicitAny: test-only view of JSON answers
type Loose = any;

async function backend(opts: Partial<ReferenceBackendOptions> = {}): Promise<ReferenceBackend> {
  const b = await startReferenceBackend({ profile: "h100-fp8", ...opts });
  started.push(b);
  return b;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((b) => b.stop()));
});

function generateBody(nonces: number[], extra: Record<string, unknown> = {}) {
  return {
    block_hash: BLOCK_HASH,
    block_height: 10,
    public_key: PUBLIC_KEY,
    node_id: 0,
    node_count: 1,
    nonces,
    params,
    batch_size: 64,
    ...extra,
  };
}

async function call(
  url: string,
  method: string,
  body?: unknown,
  raw?: string,
): Promise<{ status: number; body: Loose }> {
  const res = await fetch(url, {
    method,
    headers: body === undefined && raw === undefined ? {} : { "content-type": "application/json" },
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  const text = await res.text();
  return { status: res.status, body: text === "" ? null : JSON.parse(text) };
}

const generate = (b: ReferenceBackend, body: unknown) => call(`${b.url}/api/v1/pow/generate`, "POST", body);

describe("reference backend: generate", () => {
  it("answers wait: true with the profile's vectors as f16 base64", async () => {
    const b = await backend({ machineId: "m1" });
    const { status, body } = await generate(b, generateBody([3, 1, 2], { wait: true }));
    expect(status).toBe(200);
    expect(body.status).toBe("completed");
    expect(typeof body.request_id).toBe("string");
    expect(body.encoding).toEqual({ dtype: "f16", k_dim: 12, endian: "le" });
    expect(body.artifacts.map((a: { nonce: number }) => a.nonce)).toEqual([3, 1, 2]);
    const expected = referenceVector({
      blockHash: BLOCK_HASH,
      publicKey: PUBLIC_KEY,
      nonce: 1,
      model: MODEL,
      seqLen: 1024,
      kDim: 12,
      profile: "h100-fp8",
      machineId: "m1",
    });
    expect(body.artifacts[1].vector_b64).toBe(vectorToBase64(expected));
  });

  it("answers bit-identically on repeated requests and across two machines with the same id", async () => {
    const a = await backend({ machineId: "same" });
    const b = await backend({ machineId: "same" });
    const other = await backend({ machineId: "other" });
    const nonces = [0, 1, 2, 3, 4, 5, 6, 7];
    const first = (await generate(a, generateBody(nonces, { wait: true }))).body.artifacts;
    expect((await generate(a, generateBody(nonces, { wait: true }))).body.artifacts).toEqual(first);
    expect((await generate(b, generateBody(nonces, { wait: true }))).body.artifacts).toEqual(first);
    expect((await generate(other, generateBody(nonces, { wait: true }))).body.artifacts).not.toEqual(first);
  });

  it("queues with wait: false and serves the record by GET until completed", async () => {
    const b = await backend({ noncesPerSecond: 2000 });
    const nonces = Array.from({ length: 200 }, (_, i) => i);
    const queued = await generate(b, generateBody(nonces, { wait: false }));
    expect(queued.status).toBe(202);
    expect(queued.body).toMatchObject({ status: "queued", queued_count: 200 });
    const id: string = queued.body.request_id;
    const seen = new Set<string>();
    let record: Loose;
    for (;;) {
      record = (await call(`${b.url}/api/v1/pow/generate/${id}`, "GET")).body;
      seen.add(record.status);
      if (record.status === "completed" || record.status === "failed") break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(record.status).toBe("completed");
    expect(record.request_id).toBe(id);
    expect(record.artifacts).toHaveLength(200);
    expect(seen.has("running") || seen.has("queued")).toBe(true);
    expect((await call(`${b.url}/api/v1/pow/generate/nope`, "GET")).status).toBe(404);
  });

  it("refuses bad options at start", async () => {
    await expect(startReferenceBackend({ profile: "nope" })).rejects.toThrow(/unknown backend profile/);
    await expect(startReferenceBackend({ profile: "int4", kDim: 0 })).rejects.toThrow(/kDim/);
    await expect(startReferenceBackend({ profile: "int4", queueLimit: -1 })).rejects.toThrow(/queueLimit/);
    await expect(startReferenceBackend({ profile: "int4", noncesPerSecond: 0 })).rejects.toThrow(/noncesPerSecond/);
  });

  it("keeps the latest recordLimit finished records for polling", async () => {
    const b = await backend({ recordLimit: 2 });
    const ids: string[] = [];
    for (const nonce of [0, 1, 2]) {
      ids.push((await generate(b, generateBody([nonce], { wait: false }))).body.request_id);
      for (let i = 0; i < 100; i++) {
        if ((await call(`${b.url}/api/v1/pow/generate/${ids.at(-1)}`, "GET")).body.status === "completed") break;
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    expect((await call(`${b.url}/api/v1/pow/generate/${ids[0]}`, "GET")).status).toBe(404);
    expect((await call(`${b.url}/api/v1/pow/generate/${ids[2]}`, "GET")).body.artifacts[0].nonce).toBe(2);
    // A wait: true answer is not kept after it is sent.
    const waited = await generate(b, generateBody([9], { wait: true }));
    expect((await call(`${b.url}/api/v1/pow/generate/${waited.body.request_id}`, "GET")).status).toBe(404);
  });

  it("takes about m / rate seconds under a throughput cap", async () => {
    const b = await backend({ noncesPerSecond: 1000 });
    const t0 = performance.now();
    await generate(
      b,
      generateBody(
        Array.from({ length: 300 }, (_, i) => i),
        { wait: true },
      ),
    );
    const ms = performance.now() - t0;
    expect(ms).toBeGreaterThanOrEqual(280);
    expect(ms).toBeLessThan(3000);
  });

  it("answers 409 naming the mismatched params", async () => {
    const b = await backend();
    const { status, body } = await generate(
      b,
      generateBody([0], { wait: true, params: { model: "other/model", seq_len: 1024, k_dim: 8 } }),
    );
    expect(status).toBe(409);
    expect(body.fields).toEqual(["model", "k_dim"]);
    expect(body.expected).toEqual(params);
  });

  it("answers 429 when the queue is full", async () => {
    const b = await backend({ noncesPerSecond: 100, queueLimit: 1 });
    const first = await generate(
      b,
      generateBody(
        Array.from({ length: 300 }, (_, i) => i),
        { wait: false },
      ),
    );
    expect(first.status).toBe(202);
    // The first job runs (about 3 s, long enough on a loaded machine); the second waits in the
    // queue; the third finds it full.
    await until("the first job running", async () =>
      (await call(`${b.url}/api/v1/pow/status`, "GET")).body.queue.running === 1 ? true : undefined,
    );
    expect((await generate(b, generateBody([10], { wait: false }))).status).toBe(202);
    const third = await generate(b, generateBody([11], { wait: false }));
    expect(third.status).toBe(429);
    expect(third.body.error).toMatch(/queue full/);
  });

  it("takes a job at once when idle even without a queue (queueLimit 0)", async () => {
    const b = await backend({ noncesPerSecond: 100, queueLimit: 0 });
    expect((await generate(b, generateBody([0, 1, 2, 3, 4], { wait: false }))).status).toBe(202);
    expect((await generate(b, generateBody([5], { wait: false }))).status).toBe(429);
  });

  it("answers 503 inside a busy period and serves again after it", async () => {
    const b = await backend({ faults: { busyPeriods: [{ fromMs: 0, forMs: 150 }] } });
    const busy = await generate(b, generateBody([0], { wait: true }));
    expect(busy.status).toBe(503);
    expect(busy.body.error).toMatch(/busy/);
    await new Promise((r) => setTimeout(r, 200));
    expect((await generate(b, generateBody([0], { wait: true }))).status).toBe(200);
  });

  it("answers 503 when down, changeable at runtime", async () => {
    const b = await backend();
    b.setFaults({ down: true });
    expect((await call(`${b.url}/api/v1/pow/status`, "GET")).status).toBe(503);
    b.setFaults({});
    expect((await call(`${b.url}/api/v1/pow/status`, "GET")).status).toBe(200);
  });

  it.each([
    ["garbage JSON", undefined, "{nonces: [1", "(body)"],
    ["a missing field", { ...generateBody([0]), block_hash: undefined }, undefined, "block_hash"],
    ["a negative nonce", generateBody([0, -4]), undefined, "nonces[1]"],
    ["a fractional nonce", generateBody([0.5]), undefined, "nonces[0]"],
    ["a duplicate nonce", generateBody([2, 2]), undefined, "nonces[1]"],
    ["empty nonces", generateBody([]), undefined, "nonces"],
    ["a string k_dim", generateBody([0], { params: { ...params, k_dim: "12" } }), undefined, "params.k_dim"],
    [
      "stat_test without validation",
      generateBody([0], { stat_test: { dist_threshold: 0.1, p_mismatch: 0.02, fraud_threshold: 0.05 } }),
      undefined,
      "validation",
    ],
  ])("answers 400 for %s, naming the field", async (_label, body, raw, field) => {
    const b = await backend();
    const res = await call(`${b.url}/api/v1/pow/generate`, "POST", body, raw);
    expect(res.status).toBe(400);
    expect(res.body.field).toBe(field);
  });

  it("answers every arbitrary body with a 2xx, 400 or 409, never a crash (property)", async () => {
    const b = await backend();
    const valid = generateBody([0, 1], { wait: true });
    const mutated = fc
      .record({
        key: fc.constantFrom(...Object.keys(valid), "validation", "stat_test"),
        value: fc.jsonValue({ maxDepth: 2 }),
      })
      .map(({ key, value }) => ({ ...valid, [key]: value }));
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue({ maxDepth: 3 }), mutated), async (body) => {
        const res = await call(`${b.url}/api/v1/pow/generate`, "POST", body);
        expect([200, 202, 400, 409]).toContain(res.status);
        if (res.status === 400) expect(typeof res.body.field).toBe("string");
      }),
      { numRuns: 150 },
    );
    expect((await generate(b, valid)).status).toBe(200);
  });

  it("answers 413 for a body over the cap, and 404/405 for other routes", async () => {
    const b = await backend({ maxBodyBytes: 1000 });
    const big = await call(
      `${b.url}/api/v1/pow/generate`,
      "POST",
      generateBody(Array.from({ length: 500 }, (_, i) => i)),
    );
    expect(big.status).toBe(413);
    expect((await call(`${b.url}/api/v1/pow/nothing`, "GET")).status).toBe(404);
    expect((await call(`${b.url}/api/v1/pow/generate`, "GET")).status).toBe(405);
  });
});

describe("reference backend: validation + stat_test", () => {
  const statTest = { dist_threshold: 0.173663, p_mismatch: 0.02, fraud_threshold: 0.05 };
  const nonces = Array.from({ length: 300 }, (_, i) => i);

  async function artifactsFrom(profile: string) {
    const b = await backend({ profile });
    return (await generate(b, generateBody(nonces, { wait: true }))).body.artifacts as {
      nonce: number;
      vector_b64: string;
    }[];
  }

  it("passes another FP8 machine's artifacts and convicts INT4 ones", async () => {
    const validator = await backend({ profile: "b200-fp8" });
    const honest = await generate(
      validator,
      generateBody(nonces, {
        wait: true,
        validation: { artifacts: await artifactsFrom("h100-fp8") },
        stat_test: statTest,
      }),
    );
    expect(honest.status).toBe(200);
    expect(honest.body.n_total).toBe(300);
    expect(honest.body.n_mismatch).toBe(honest.body.mismatch_nonces.length);
    expect(honest.body.n_mismatch).toBeLessThan(15);
    expect(honest.body.p_value).toBeCloseTo(binomialPValue(honest.body.n_mismatch, 300, 0.02), 12);
    expect(honest.body.fraud_detected).toBe(honest.body.p_value < 0.05);

    const cheat = await generate(
      validator,
      generateBody(nonces, { wait: true, validation: { artifacts: await artifactsFrom("int4") }, stat_test: statTest }),
    );
    expect(cheat.body.n_mismatch).toBeGreaterThan(150);
    expect(cheat.body.fraud_detected).toBe(true);
    expect(cheat.body.p_value).toBeLessThan(1e-10);
  });

  it("names the undecodable vector of a validation artifact", async () => {
    const b = await backend();
    const artifacts = [
      { nonce: 0, vector_b64: vectorToBase64(Array(12).fill(0.1)) },
      { nonce: 1, vector_b64: vectorToBase64(Array(12).fill(Number.NaN)) },
    ];
    const res = await generate(b, generateBody([0, 1], { wait: true, validation: { artifacts }, stat_test: statTest }));
    expect(res.status).toBe(400);
    expect(res.body.field).toBe("validation.artifacts[1].vector_b64");
  });
});

describe("reference backend: continuous generation, status, stop", () => {
  it("posts batches to the callback until max_nonces, and stop halts it", async () => {
    const received: Loose[] = [];
    const callback = createServer(async (req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      received.push({ path: req.url, body: JSON.parse(Buffer.concat(chunks).toString()) });
      res.end("{}");
    });
    await new Promise<void>((r) => callback.listen(0, "127.0.0.1", r));
    const callbackUrl = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/cb`;
    try {
      const b = await backend({ noncesPerSecond: 5000 });
      const init = await call(`${b.url}/api/v1/pow/init/generate`, "POST", {
        block_hash: BLOCK_HASH,
        block_height: 10,
        public_key: PUBLIC_KEY,
        node_id: 1,
        node_count: 2,
        params,
        batch_size: 10,
        callback_url: callbackUrl,
        max_nonces: 30,
      });
      expect(init.status).toBe(200);
      for (let i = 0; i < 100 && received.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
      expect(received).toHaveLength(3);
      expect(received[0].path).toBe("/cb/generated");
      const nonces = received.flatMap((r) => r.body.artifacts.map((a: { nonce: number }) => a.nonce));
      expect(nonces).toEqual(Array.from({ length: 30 }, (_, i) => 1 + 2 * i));
      const v = vectorFromBase64(received[0].body.artifacts[0].vector_b64, 12);
      expect(v.length).toBe(12);
      const status = (await call(`${b.url}/api/v1/pow/status`, "GET")).body;
      expect(status).toMatchObject({
        profile: "h100-fp8",
        params,
        continuous: { generated: 30, batches_sent: 3, active: false },
      });

      // Unbounded run: generate answers 503 while it runs; stop ends it.
      await call(`${b.url}/api/v1/pow/init/generate`, "POST", {
        block_hash: BLOCK_HASH,
        block_height: 11,
        public_key: PUBLIC_KEY,
        params,
        batch_size: 10,
        callback_url: callbackUrl,
      });
      expect((await call(`${b.url}/api/v1/pow/status`, "GET")).body.state).toBe("generating");
      expect((await generate(b, generateBody([0], { wait: true }))).status).toBe(503);
      expect((await call(`${b.url}/api/v1/pow/stop`, "POST", {})).status).toBe(200);
      await new Promise((r) => setTimeout(r, 50));
      const after = received.length;
      await new Promise((r) => setTimeout(r, 100));
      expect(received.length).toBe(after);
      expect((await call(`${b.url}/api/v1/pow/status`, "GET")).body.state).toBe("idle");
      expect((await generate(b, generateBody([0], { wait: true }))).status).toBe(200);
    } finally {
      await new Promise<void>((r) => callback.close(() => r()));
    }
  });

  it("records a callback that keeps failing in /status and ends the run", async () => {
    const b = await backend();
    // Port 1 on loopback refuses connections.
    await call(`${b.url}/api/v1/pow/init/generate`, "POST", {
      block_hash: BLOCK_HASH,
      block_height: 1,
      public_key: PUBLIC_KEY,
      params,
      batch_size: 5,
      callback_url: "http://127.0.0.1:1/cb",
    });
    let status: Loose;
    for (let i = 0; i < 100; i++) {
      status = (await call(`${b.url}/api/v1/pow/status`, "GET")).body;
      if (!status.continuous.active) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(status.continuous).toMatchObject({ active: false, generated: 0 });
    expect(status.continuous.error).toMatch(/callback http:\/\/127.0.0.1:1\/cb\/generated failed/);
    expect(status.state).toBe("idle");
  });

  it("stop ends requests in flight with 503 and refuses new connections", async () => {
    const b = await startReferenceBackend({ profile: "h100-fp8", noncesPerSecond: 200 });
    const inFlight = generate(
      b,
      generateBody(
        Array.from({ length: 400 }, (_, i) => i),
        { wait: true, batch_size: 10 },
      ),
    ).catch((e: Error) => ({ status: 0, body: e.message }));
    await until("the job running", async () =>
      (await call(`${b.url}/api/v1/pow/status`, "GET")).body.queue.running === 1 ? true : undefined,
    );
    const t0 = performance.now();
    await b.stop();
    expect(performance.now() - t0).toBeLessThan(1000);
    const res = await inFlight;
    expect(res.status).toBe(503);
    await expect(fetch(`${b.url}/api/v1/pow/status`)).rejects.toThrow();
  });

  it("refuses init/generate with other params (409) or a bad callback (400)", async () => {
    const b = await backend();
    const base = {
      block_hash: BLOCK_HASH,
      block_height: 1,
      public_key: PUBLIC_KEY,
      params,
      callback_url: "http://127.0.0.1:1",
    };
    expect(
      (await call(`${b.url}/api/v1/pow/init/generate`, "POST", { ...base, params: { ...params, seq_len: 2048 } })).body
        .fields,
    ).toEqual(["seq_len"]);
    const bad = await call(`${b.url}/api/v1/pow/init/generate`, "POST", { ...base, callback_url: "ftp://x" });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe("callback_url");
  });
});

describe("reference backend: clients that go away", () => {
  it("cancels a wait: true job, running or queued, when its client disconnects", async () => {
    // 1000 nonces a second: the first job takes 6 s, the queued ones 6 s more.
    const b = await backend({ noncesPerSecond: 1000 });
    const nonces = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
    const running = new AbortController();
    const queued = new AbortController();
    const gone = [
      fetch(`${b.url}/api/v1/pow/generate`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(generateBody(nonces(0, 6000), { wait: true })),
        signal: running.signal,
      }).catch(() => "aborted"),
    ];
    await until("the first job running", async () =>
      (await call(`${b.url}/api/v1/pow/status`, "GET")).body.queue.running === 1 ? true : undefined,
    );
    gone.push(
      fetch(`${b.url}/api/v1/pow/generate`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(generateBody(nonces(10_000, 6000), { wait: true })),
        signal: queued.signal,
      }).catch(() => "aborted"),
    );
    await until("the second job queued", () => (b.stats().queued === 1 ? true : undefined));
    expect(b.stats().queued).toBe(1);
    // The sidecar that sent them crashes: both connections close.
    running.abort();
    queued.abort();
    expect(await Promise.all(gone)).toEqual(["aborted", "aborted"]);
    // A request from its restarted self is served at once, not after 12 s of dead work.
    const began = Date.now();
    const { status, body } = await generate(b, generateBody(nonces(20_000, 100), { wait: true }));
    const waitedMs = Date.now() - began;
    expect(status).toBe(200);
    expect(body.artifacts).toHaveLength(100);
    expect(waitedMs).toBeLessThan(3_000);
    expect(b.stats().jobsCancelled).toBe(2);
    // Only the answered job counts as generated.
    expect(b.stats().noncesGenerated).toBe(100);
  }, 30_000);
});
