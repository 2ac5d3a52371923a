// The proof API client against loopback servers. Apart from the honest one, every server here is
// deliberately faulty: garbage JSON, errors, huge bodies, slow drips, refused connections.
import { createServer } from "node:net";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { MAX_LEAF_INDICES, toBase64 } from "../../src/core/index.js";
import { Reason } from "../../src/gen/pocval/v1/types.js";
import { fetchProofBatch, fetchProofs, keyFromMnemonic, ProofApiError } from "../../src/sidecar/index.js";
import { retryAfterMs } from "../../src/sidecar/proof-client.js";
import {
  buildTree,
  honestAnswer,
  honestLeaves,
  type StubServer,
  signedAnswer,
  startProofStub,
  TEST_MNEMONIC,
  TEST_PARTICIPANT,
  testParticipant,
  testVector,
} from "./helpers.js";

const tree = buildTree(honestLeaves(1500, (i) => testVector(i)));
const key = await keyFromMnemonic(TEST_MNEMONIC);
const stubs: StubServer[] = [];
afterEach(async () => {
  await Promise.all(stubs.splice(0).map((s) => s.stop()));
});
async function stub(answer: Parameters<typeof startProofStub>[0]): Promise<StubServer> {
  const s = await startProofStub(answer);
  stubs.push(s);
  return s;
}
const base = (url: string, leafIndices: number[] = [3, 1, 4]) => ({
  baseUrl: url,
  stageHeight: 10,
  count: tree.count,
  rootHashB64: toBase64(tree.root),
  leafIndices,
  validatorAddress: key.address,
  participantAddress: TEST_PARTICIPANT.address,
  privateKey: key.privateKey,
  timeoutMs: 1_000,
  maxResponseBytes: 1 << 20,
});
const fastRetry = { baseDelayMs: 1, maxDelayMs: 5 };
// The chain's availability params for fetchProofs: 3 tries, each answered within 10 s.
const budgeted = (url: string, leafIndices?: number[]) => {
  const { timeoutMs: _chainDecides, ...rest } = base(url, leafIndices);
  return { ...rest, batchSize: 500, budget: 3, responseMs: 10_000, retry: fastRetry };
};

async function failure(p: Promise<unknown>): Promise<ProofApiError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProofApiError);
  return err as ProofApiError;
}

describe("fetchProofBatch", () => {
  it("sends a signed request the server verifies and returns its proofs", async () => {
    const s = await stub(honestAnswer(tree));
    const answer = await fetchProofBatch(base(s.url));
    expect(answer.answer.proofs.map((p) => p.leaf_index)).toEqual([3, 1, 4]);
    expect(answer.request.participant_address).toBe(TEST_PARTICIPANT.address);
    expect(s.requests[0]).toMatchObject({
      stage_height: 10,
      count: 1500,
      leaf_indices: [3, 1, 4],
      validator_address: key.address,
    });
  });

  it("classifies garbage JSON and schema violations as malformed", async () => {
    const s = await stub((_req, res) => res.writeHead(200).end("{proofs: oops"));
    expect((await failure(fetchProofBatch(base(s.url)))).kind).toBe("malformed");
    const t = await stub((_req, res) => res.writeHead(200).end(JSON.stringify({ proofs: [{ leaf_index: "x" }] })));
    expect((await failure(fetchProofBatch(base(t.url)))).kind).toBe("malformed");
    const wrongPathLength = await stub((req, res) => {
      const proofs = req.leaf_indices.map((i) => ({ ...tree.proof(i), audit_path: [toBase64(new Uint8Array(31))] }));
      res.writeHead(200).end(JSON.stringify({ proofs }));
    });
    expect((await failure(fetchProofBatch(base(wrongPathLength.url)))).kind).toBe("malformed");
  });

  it("refuses an answer not signed by the participant, or not repeating the request, as bad_signature", async () => {
    const other = testParticipant("someone else");
    const s = await stub(honestAnswer(tree, other.privateKey));
    expect((await failure(fetchProofBatch(base(s.url)))).kind).toBe("bad_signature");
    const unsigned = await stub((req, res) => {
      const { participant_signature: _s, ...rest } = JSON.parse(
        signedAnswer(
          req,
          req.leaf_indices.map((i) => tree.proof(i)),
        ),
      );
      res.writeHead(200).end(JSON.stringify(rest));
    });
    expect((await failure(fetchProofBatch(base(unsigned.url)))).kind).toBe("malformed");
    const otherStage = await stub((req, res) =>
      res.writeHead(200).end(
        signedAnswer(
          { ...req, stage_height: req.stage_height + 1 },
          req.leaf_indices.map((i) => tree.proof(i)),
        ),
      ),
    );
    const err = await failure(fetchProofBatch(base(otherStage.url)));
    expect(err.kind).toBe("bad_signature");
    expect(err.message).toMatch(/stage_height/);
  });

  it("classifies 5xx as http and 409 as conflict", async () => {
    const s = await stub((_req, res) => res.writeHead(503).end("busy"));
    expect(await failure(fetchProofBatch(base(s.url)))).toMatchObject({ kind: "http", status: 503 });
    const c = await stub((_req, res) => res.writeHead(409).end(JSON.stringify({ error: "unknown root" })));
    expect(await failure(fetchProofBatch(base(c.url)))).toMatchObject({ kind: "conflict", status: 409 });
  });

  it("stops reading a huge body, declared or chunked", async () => {
    const declared = await stub((_req, res) => {
      res.writeHead(200, { "content-length": String(50 << 20) });
      res.write("x".repeat(1000));
    });
    expect((await failure(fetchProofBatch(base(declared.url)))).kind).toBe("oversize");
    const chunked = await stub((_req, res) => {
      res.writeHead(200);
      const chunk = "y".repeat(64 << 10);
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once("drain", pump);
      };
      pump();
    });
    expect((await failure(fetchProofBatch(base(chunked.url)))).kind).toBe("oversize");
  });

  it("gives up on a slow drip at the deadline", async () => {
    const timers: NodeJS.Timeout[] = [];
    const s = await stub((_req, res) => {
      res.writeHead(200);
      timers.push(setInterval(() => res.write(" "), 50));
    });
    const started = Date.now();
    expect((await failure(fetchProofBatch({ ...base(s.url), timeoutMs: 400 }))).kind).toBe("timeout");
    expect(Date.now() - started).toBeLessThan(3_000);
    for (const t of timers) clearInterval(t);
  });

  it("classifies a refused connection and a bad URL as unreachable", async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((r) => server.close(() => r()));
    expect((await failure(fetchProofBatch(base(`http://127.0.0.1:${port}`)))).kind).toBe("unreachable");
    expect((await failure(fetchProofBatch(base("not a url")))).kind).toBe("unreachable");
  });

  it("refuses to build an oversized request", async () => {
    await expect(fetchProofBatch(base("http://127.0.0.1:1", new Array(MAX_LEAF_INDICES + 1).fill(0)))).rejects.toThrow(
      RangeError,
    );
  });
});

describe("fetchProofBatch on arbitrary bodies (property)", () => {
  it("never crashes: any body is either a schema-valid answer or a malformed ProofApiError", async () => {
    let body: Uint8Array = new Uint8Array();
    const s = await stub((_req, res) => res.writeHead(200).end(Buffer.from(body)));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 2000 }),
          fc.json().map((j) => new TextEncoder().encode(j)),
          fc
            .array(
              fc.record({
                leaf_index: fc.integer(),
                nonce: fc.integer(),
                vector_b64: fc.string(),
                audit_path: fc.array(fc.string()),
              }),
            )
            .map((proofs) => new TextEncoder().encode(JSON.stringify({ proofs }))),
        ),
        async (bytes) => {
          body = bytes;
          const outcome = await fetchProofBatch(base(s.url)).then(
            (answer) => ({ ok: true as const, answer }),
            (err: unknown) => ({ ok: false as const, err }),
          );
          if (outcome.ok) expect(Array.isArray(outcome.answer.answer.proofs)).toBe(true);
          else expect(outcome.err).toMatchObject({ name: "ProofApiError", kind: "malformed" });
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("fetchProofs", () => {
  it("splits the sample into requests of at most the batch size", async () => {
    const s = await stub(honestAnswer(tree));
    const indices = Array.from({ length: 1200 }, (_, i) => (i * 7) % 1500);
    const result = await fetchProofs(budgeted(s.url, indices));
    expect(result.ok).toBe(true);
    expect(s.requests.map((r) => r.leaf_indices.length)).toEqual([500, 500, 200]);
    if (result.ok) expect(result.proofs.map((p) => p.leaf_index)).toEqual(indices);
  });

  it("retries within the budget and succeeds when the server recovers", async () => {
    const honest = honestAnswer(tree);
    const s = await stub((req, res, n) => (n <= 2 ? res.writeHead(500).end() : honest(req, res)));
    const failures: string[] = [];
    const result = await fetchProofs({ ...budgeted(s.url), onFailure: (e) => failures.push(e.kind) });
    expect(result).toMatchObject({ ok: true, sent: 3 });
    expect(failures).toEqual(["http", "http"]);
  });

  it("declares the participant UNAVAILABLE once the budget is spent, with every signed try as evidence", async () => {
    const s = await stub((_req, res) => res.writeHead(200).end("not json"));
    const result = await fetchProofs(budgeted(s.url));
    expect(result).toMatchObject({ ok: false, reason: Reason.REASON_UNAVAILABLE, kind: "malformed" });
    expect(s.requests.length).toBe(3);
    if (result.ok) return;
    expect(result.tries.map((t) => t.failure.kind)).toEqual(["malformed", "malformed", "malformed"]);
    expect(result.tries.map((t) => t.request.signature)).toEqual(s.requests.map((r) => r.signature));
  });

  it("a 429 is a failed try: Retry-After is waited at most proof_response_ms, and the budget ends it", async () => {
    const s = await stub((_req, res) => res.writeHead(429, { "retry-after": "60" }).end('{"error":"rate limit"}'));
    const started = performance.now();
    const result = await fetchProofs({ ...budgeted(s.url), budget: 4, responseMs: 200 });
    const elapsed = performance.now() - started;
    expect(result).toMatchObject({ ok: false, reason: Reason.REASON_UNAVAILABLE, kind: "rate_limited" });
    expect(s.requests.length).toBe(4);
    // Three waits of min(60 s, 200 ms) between four tries: never the 60 s the participant asked for.
    expect(elapsed).toBeGreaterThanOrEqual(3 * 200 - 10);
    expect(elapsed).toBeLessThan(5_000);
    if (!result.ok) expect(result.tries.every((t) => t.failure.status === 429 && t.failure.retry_after_ms === 60_000));
  });

  it("honours a short Retry-After inside the budget and succeeds", async () => {
    const honest = honestAnswer(tree);
    const s = await stub((req, res, n) =>
      n <= 2 ? res.writeHead(429, { "retry-after": "0.2" }).end() : honest(req, res),
    );
    const started = performance.now();
    const result = await fetchProofs(budgeted(s.url));
    expect(result).toMatchObject({ ok: true, sent: 3 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(2 * 200 - 10);
  });

  it("with a deadline, a 429 with Retry-After 60 spends exactly the budget before it: UNAVAILABLE", async () => {
    const sentAt: number[] = [];
    const s = await stub((_req, res) => {
      sentAt.push(Date.now());
      res.writeHead(429, { "retry-after": "60" }).end('{"error":"rate limit"}');
    });
    const deadlineMs = Date.now() + 4_000;
    // proof_response_ms 30 s would make each wait 30 s; the deadline makes three waits fit in 4 s.
    const result = await fetchProofs({ ...budgeted(s.url), budget: 4, responseMs: 30_000, deadlineMs });
    expect(result).toMatchObject({ ok: false, reason: Reason.REASON_UNAVAILABLE, kind: "rate_limited" });
    expect(s.requests.length).toBe(4);
    expect(sentAt.length).toBe(4);
    expect(Math.max(...sentAt)).toBeLessThanOrEqual(deadlineMs);
    // The waits are the share of the time left (about 800 ms each), not nothing.
    expect(sentAt[3]! - sentAt[0]!).toBeGreaterThan(1_500);
    if (!result.ok) expect(result.tries).toHaveLength(4);
  });

  it("with a deadline, a participant that answers after one 429 (Retry-After 60) still yields the proofs", async () => {
    const honest = honestAnswer(tree);
    const s = await stub((req, res, n) =>
      n === 1 ? res.writeHead(429, { "retry-after": "60" }).end() : honest(req, res),
    );
    const started = Date.now();
    const result = await fetchProofs({
      ...budgeted(s.url),
      budget: 2,
      responseMs: 30_000,
      deadlineMs: started + 2_000,
    });
    expect(result).toMatchObject({ ok: true, sent: 2 });
    if (result.ok) expect(result.proofs.map((p) => p.leaf_index)).toEqual([3, 1, 4]);
    // One wait of (2 s left) / (1 try left + 1): about 1 s, never the 60 s asked nor 30 s.
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("a participant that holds the request open (stall) times out each try and is UNAVAILABLE", async () => {
    const s = await stub(() => {});
    const result = await fetchProofs({ ...budgeted(s.url), budget: 2, responseMs: 300 });
    expect(result).toMatchObject({ ok: false, reason: Reason.REASON_UNAVAILABLE, kind: "timeout" });
    expect(s.requests.length).toBe(2);
  });

  it("a body cut off midway is a failed try", async () => {
    const s = await stub((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "5000" });
      res.write('{"stage_height":10,');
      setTimeout(() => res.destroy(), 20);
    });
    const result = await fetchProofs(budgeted(s.url));
    expect(result.ok).toBe(false);
    expect(s.requests.length).toBe(3);
  });

  it("reads Retry-After as seconds or a date, clamped", () => {
    expect(retryAfterMs("3")).toBe(3000);
    expect(retryAfterMs(null)).toBe(1000);
    expect(retryAfterMs("soon")).toBe(1000);
    expect(retryAfterMs("0")).toBe(100);
    expect(retryAfterMs("100000")).toBe(60_000);
    expect(retryAfterMs(new Date(10_000 + 5_000).toUTCString(), 10_000)).toBe(5_000);
  });

  it("throws when cancelled instead of blaming the participant", async () => {
    const s = await stub((_req, res) => res.writeHead(500).end());
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("window closing")), 50);
    await expect(
      fetchProofs({
        ...budgeted(s.url),
        budget: 100,
        retry: { baseDelayMs: 20, maxDelayMs: 20 },
        signal: controller.signal,
      }),
    ).rejects.toThrow(/window closing/);
  });
});
