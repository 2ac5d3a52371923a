import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeArtifactsAnswer, decodeJobRecord, decodeValidationAnswer } from "../../src/backend/index.js";
import { DecodeError, encodeVector, toBase64, vectorToBase64 } from "../../src/core/index.js";

const K = 12;
const unit = (seed: number) => {
  const v = Array.from({ length: K }, (_, i) => Math.sin(seed * 31 + i * 7 + 1));
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const encoding = { dtype: "f16", k_dim: K, endian: "le" };
const answerFor = (nonces: number[]) => ({
  status: "completed",
  request_id: "r1",
  artifacts: nonces.map((nonce) => ({ nonce, vector_b64: vectorToBase64(unit(nonce)) })),
  encoding,
});

function decodeError(fn: () => unknown): DecodeError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DecodeError) return err;
    throw err;
  }
  throw new Error("expected a DecodeError");
}

describe("decodeArtifactsAnswer", () => {
  it("returns the requested nonces in request order with their decoded vectors", () => {
    const body = answerFor([5, 3, 9]);
    body.artifacts.reverse();
    const out = decodeArtifactsAnswer(body, { kDim: K, nonces: [3, 9, 5] });
    expect(out.map((a) => a.nonce)).toEqual([3, 9, 5]);
    expect(out[0]!.vector.length).toBe(K);
    expect(out[0]!.vectorB64).toBe(vectorToBase64(unit(3)));
    expect(out[0]!.vector[0]).toBeCloseTo(unit(3)[0]!, 3);
  });

  it.each([
    ["wrong dtype", { ...answerFor([0]), encoding: { ...encoding, dtype: "f32" } }, "encoding.dtype"],
    ["wrong endian", { ...answerFor([0]), encoding: { ...encoding, endian: "be" } }, "encoding.endian"],
    ["wrong k_dim", { ...answerFor([0]), encoding: { ...encoding, k_dim: 8 } }, "encoding.k_dim"],
    ["not completed", { ...answerFor([0]), status: "queued" }, "status"],
    ["no artifacts", { status: "completed", encoding }, "artifacts"],
    ["a missing nonce", answerFor([0]), "artifacts"],
    ["a duplicate nonce", answerFor([0, 0, 1]), "artifacts[1].nonce"],
    ["an unrequested nonce", answerFor([0, 2]), "artifacts[1].nonce"],
    ["a negative nonce", answerFor([-1, 1]), "artifacts[0].nonce"],
    [
      "a short vector",
      { ...answerFor([0, 1]), artifacts: [{ nonce: 0, vector_b64: vectorToBase64([1, 0]) }] },
      "artifacts[0].vector_b64",
    ],
    [
      "a NaN vector",
      { ...answerFor([0, 1]), artifacts: [{ nonce: 0, vector_b64: vectorToBase64(Array(K).fill(Number.NaN)) }] },
      "artifacts[0].vector_b64",
    ],
    [
      "an infinite vector",
      { ...answerFor([0, 1]), artifacts: [{ nonce: 0, vector_b64: vectorToBase64(Array(K).fill(1e6)) }] },
      "artifacts[0].vector_b64",
    ],
    [
      "bad base64",
      { ...answerFor([0, 1]), artifacts: [{ nonce: 0, vector_b64: "not base64!" }] },
      "artifacts[0].vector_b64",
    ],
  ])("refuses %s, naming %s", (_label, body, field) => {
    const err = decodeError(() => decodeArtifactsAnswer(body, { kDim: K, nonces: [0, 1] }));
    expect(err.field).toBe(field);
  });

  it("never returns vectors for an arbitrary answer unless it is exactly right (property)", () => {
    const nonceList = fc.uniqueArray(fc.nat({ max: 50 }), { minLength: 1, maxLength: 8 });
    const artifact = fc.record({
      nonce: fc.oneof(fc.nat({ max: 60 }), fc.integer({ min: -3, max: -1 }), fc.double()),
      vector_b64: fc.oneof(
        fc.uint8Array({ minLength: 0, maxLength: 30 }).map((b) => toBase64(b)),
        fc.array(fc.double({ noNaN: false }), { minLength: K, maxLength: K }).map((v) => toBase64(encodeVector(v))),
        fc.string(),
      ),
    });
    const body = fc.record(
      {
        status: fc.constantFrom("completed", "queued", "failed", 3),
        artifacts: fc.array(artifact, { maxLength: 10 }),
        encoding: fc.record({
          dtype: fc.constantFrom("f16", "f32", "bf16"),
          k_dim: fc.constantFrom(K, 8, 0, -1),
          endian: fc.constantFrom("le", "be"),
        }),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(body, nonceList, (b, nonces) => {
        let out: ReturnType<typeof decodeArtifactsAnswer>;
        try {
          out = decodeArtifactsAnswer(b, { kDim: K, nonces });
        } catch (err) {
          expect(err).toBeInstanceOf(DecodeError);
          return;
        }
        // Accepted: it must be exactly the requested nonces, each with kDim finite values.
        expect(b.status).toBe("completed");
        expect(b.encoding).toEqual(encoding);
        expect(out.map((a) => a.nonce)).toEqual(nonces);
        expect(b.artifacts?.length).toBe(nonces.length);
        for (const a of out) {
          expect(a.vector.length).toBe(K);
          for (const x of a.vector) expect(Number.isFinite(x)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("accepts every well-formed answer in any artifact order (property)", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.nat({ max: 1_000_000 }), { minLength: 1, maxLength: 40 }),
        fc.nat(),
        (nonces, rot) => {
          const body = answerFor(nonces);
          const r = rot % nonces.length;
          body.artifacts = [...body.artifacts.slice(r), ...body.artifacts.slice(0, r)];
          const out = decodeArtifactsAnswer(body, { kDim: K, nonces });
          expect(out.map((a) => a.nonce)).toEqual(nonces);
        },
      ),
    );
  });
});

describe("decodeValidationAnswer", () => {
  const good = {
    status: "completed",
    n_total: 3,
    n_mismatch: 1,
    mismatch_nonces: [4],
    p_value: 0.06,
    fraud_detected: false,
  };

  it("maps a consistent answer", () => {
    expect(decodeValidationAnswer(good, { nonces: [2, 4, 6] })).toEqual({
      nTotal: 3,
      nMismatch: 1,
      mismatchNonces: [4],
      pValue: 0.06,
      fraudDetected: false,
    });
  });

  it.each([
    ["n_total off", { ...good, n_total: 4 }, "n_total"],
    ["n_mismatch off", { ...good, n_mismatch: 2 }, "n_mismatch"],
    ["unsent mismatch nonce", { ...good, mismatch_nonces: [5] }, "mismatch_nonces[0]"],
    ["duplicate mismatch nonce", { ...good, n_mismatch: 2, mismatch_nonces: [4, 4] }, "mismatch_nonces[1]"],
    ["p_value above 1", { ...good, p_value: 1.5 }, "p_value"],
    ["fraud_detected not boolean", { ...good, fraud_detected: "no" }, "fraud_detected"],
  ])("refuses %s", (_label, body, field) => {
    expect(decodeError(() => decodeValidationAnswer(body, { nonces: [2, 4, 6] })).field).toBe(field);
  });
});

describe("decodeJobRecord", () => {
  it("reads queued, running, completed and failed records", () => {
    expect(decodeJobRecord({ status: "queued", request_id: "a", queued_count: 3 }).status).toBe("queued");
    expect(decodeJobRecord({ status: "running", request_id: "a" }).status).toBe("running");
    expect(decodeJobRecord({ status: "completed", artifacts: [] }).status).toBe("completed");
    expect(decodeJobRecord({ status: "failed", error: "oom" })).toMatchObject({ status: "failed", error: "oom" });
  });

  it("refuses unknown statuses and queued records without an id", () => {
    expect(() => decodeJobRecord({ status: "done" })).toThrow(DecodeError);
    expect(() => decodeJobRecord({ status: "queued" })).toThrow(/request_id/);
    expect(() => decodeJobRecord("completed")).toThrow(DecodeError);
  });
});
