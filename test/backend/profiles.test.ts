import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  getProfile,
  profileNames,
  profiles,
  type ReferenceVectorInput,
  referenceVector,
  UnknownProfileError,
  vectorSource,
} from "../../src/backend/index.js";
import { decodeVector, encodeVector, l2Distance, percentile } from "../../src/core/index.js";

const DIST_THRESHOLD = 0.173663;
const NONCES = 6000;
const base = {
  blockHash: "5f2c1e0d9a8b7c6d5e4f30211203f4e5d6c7b8a99a8b7c6d5e4f302112030405",
  publicKey: "A8b3k2F9pQ7sL1mN4vX6zR0tY5uW8eC2dH3jK6gB9aT1",
  model: "Qwen/Qwen3-235B-A22B-Instruct-2507-FP8",
  seqLen: 1024,
  kDim: 12,
};

/** What travels: the vectors of a machine after the f16 round trip. */
function wireVectors(profile: string, machineId: string): (nonce: number) => Float64Array {
  const vectorOf = vectorSource({ ...base, profile, machineId });
  return (nonce) => decodeVector(encodeVector(vectorOf(nonce)), base.kDim);
}

interface PairFigures {
  mean: number;
  std: number;
  max: number;
  p98: number;
  aboveThreshold: number;
}

function pairFigures(a: [string, string], b: [string, string]): PairFigures {
  const d = new Float64Array(NONCES);
  const [va, vb] = [wireVectors(a[0], a[1]), wireVectors(b[0], b[1])];
  for (let n = 0; n < NONCES; n++) d[n] = l2Distance(va(n), vb(n));
  const mean = d.reduce((s, x) => s + x, 0) / NONCES;
  const std = Math.sqrt(d.reduce((s, x) => s + (x - mean) ** 2, 0) / NONCES);
  const above = d.filter((x) => x > DIST_THRESHOLD).length / NONCES;
  return { mean, std, max: Math.max(...d), p98: percentile(d, 98), aboveThreshold: above };
}

function show(label: string, f: PairFigures): string {
  return `${label.padEnd(36)} mean ${f.mean.toFixed(4)} std ${f.std.toFixed(4)} max ${f.max.toFixed(3)} p98 ${f.p98.toFixed(4)} above ${(100 * f.aboveThreshold).toFixed(2)}%`;
}

describe("hardware profiles reproduce the report's honest variation", () => {
  type Pair = { label: string; a: [string, string]; b: [string, string] };
  const fp8Pairs: Pair[] = [
    { label: "h100-fp8 vs a100-fp8", a: ["h100-fp8", "0"], b: ["a100-fp8", "0"] },
    { label: "h200-fp8-flashinfer vs a100-fp8", a: ["h200-fp8-flashinfer", "0"], b: ["a100-fp8", "0"] },
    { label: "h100-fp8 machine 1 vs machine 2", a: ["h100-fp8", "1"], b: ["h100-fp8", "2"] },
  ];

  it.each(fp8Pairs)(
    `FP8 vs FP8 ($label) over ${NONCES} nonces: mean in [0.06, 0.09], 1.5 to 2.5 percent above the threshold`,
    ({ label, a, b }) => {
      const f = pairFigures(a, b);
      console.log(show(label, f));
      expect(f.mean).toBeGreaterThanOrEqual(0.06);
      expect(f.mean).toBeLessThanOrEqual(0.09);
      expect(f.aboveThreshold).toBeGreaterThanOrEqual(0.015);
      expect(f.aboveThreshold).toBeLessThanOrEqual(0.025);
      // The report's spread: std about 0.04, a tail reaching well past the threshold.
      expect(f.std).toBeGreaterThan(0.025);
      expect(f.std).toBeLessThan(0.055);
      expect(f.max).toBeGreaterThan(0.25);
    },
  );

  it.each<Pair>([
    { label: "int4 vs h100-fp8", a: ["int4", "0"], b: ["h100-fp8", "0"] },
    { label: "h100-int4 vs b200-fp8", a: ["h100-int4", "0"], b: ["b200-fp8", "0"] },
    { label: "a100-int4 vs a100-fp8", a: ["a100-int4", "0"], b: ["a100-fp8", "0"] },
    { label: "h200-int4 vs h200-fp8", a: ["h200-int4", "0"], b: ["h200-fp8", "0"] },
  ])("INT4 vs FP8 ($label): mean in [0.20, 0.30], mostly mismatches", ({ label, a, b }) => {
    const f = pairFigures(a, b);
    console.log(show(label, f));
    expect(f.mean).toBeGreaterThanOrEqual(0.2);
    expect(f.mean).toBeLessThanOrEqual(0.3);
    expect(f.aboveThreshold).toBeGreaterThan(0.6);
  });

  it.each<Pair>([
    { label: "h100-fp8 vs b200-fp8", a: ["h100-fp8", "0"], b: ["b200-fp8", "0"] },
    { label: "b200-fp8 vs a100-fp8", a: ["b200-fp8", "0"], b: ["a100-fp8", "0"] },
  ])("B200 ($label) is farther: its heavier tail leaves 2.5 to 4.5 percent above the threshold", ({ label, a, b }) => {
    const f = pairFigures(a, b);
    console.log(show(label, f));
    const h = pairFigures(["h100-fp8", "0"], ["a100-fp8", "0"]);
    expect(f.mean).toBeGreaterThan(h.mean);
    expect(f.std).toBeGreaterThan(h.std);
    expect(f.p98).toBeGreaterThan(h.p98);
    expect(f.aboveThreshold).toBeGreaterThanOrEqual(0.025);
    expect(f.aboveThreshold).toBeLessThanOrEqual(0.045);
  });

  it("profiles sharing kernels answer bit-identically: h100-fp8 and h200-fp8 (distance 0 on every nonce)", () => {
    const f = pairFigures(["h100-fp8", "0"], ["h200-fp8", "0"]);
    expect([f.mean, f.max]).toEqual([0, 0]);
    expect(getProfile("h200-fp8").kernel).toBe(getProfile("h100-fp8").kernel);
    // Another machine id is another machine: not identical.
    expect(pairFigures(["h100-fp8", "0"], ["h200-fp8", "1"]).mean).toBeGreaterThan(0.06);
  });

  it("W8A16 and INT4 form the far cluster: W8A16 vs FP8 mean in [0.15, 0.25], vs INT4 farther still", () => {
    const w = pairFigures(["h100-w8a16", "0"], ["h100-fp8", "0"]);
    console.log(show("h100-w8a16 vs h100-fp8", w));
    expect(w.mean).toBeGreaterThanOrEqual(0.15);
    expect(w.mean).toBeLessThanOrEqual(0.25);
    expect(w.aboveThreshold).toBeGreaterThan(0.35);
    const q = pairFigures(["h100-w8a16", "0"], ["h200-int4", "0"]);
    expect(q.mean).toBeGreaterThan(0.25);
  });

  it("INT4 vs INT4 machines are as close as FP8 machines (shared quantization error)", () => {
    const f = pairFigures(["int4", "0"], ["h100-int4", "0"]);
    console.log(show("int4 vs h100-int4", f));
    expect(f.mean).toBeGreaterThanOrEqual(0.04);
    expect(f.mean).toBeLessThanOrEqual(0.08);
    expect(f.aboveThreshold).toBeLessThan(0.025);
  });

  it("keeps the distance scale at other k_dim (noise scaled by sqrt(11 / (k_dim - 1)))", () => {
    for (const kDim of [8, 64]) {
      let sum = 0;
      const n = 1500;
      for (let nonce = 0; nonce < n; nonce++) {
        const a = referenceVector({ ...base, kDim, nonce, profile: "h100-fp8" });
        const b = referenceVector({ ...base, kDim, nonce, profile: "b200-fp8" });
        sum += l2Distance(a, b);
      }
      expect(sum / n).toBeGreaterThan(0.06);
      expect(sum / n).toBeLessThan(0.09);
    }
  });

  it("the exact profile sits between machines: each FP8 machine is closer to it than to another", () => {
    const toExact = pairFigures(["exact", "0"], ["h100-fp8", "0"]);
    const between = pairFigures(["b200-fp8", "0"], ["h100-fp8", "0"]);
    expect(toExact.mean).toBeLessThan(between.mean);
    expect(toExact.mean).toBeGreaterThan(0.02);
  });
});

describe("referenceVector", () => {
  const input: ReferenceVectorInput = { ...base, nonce: 7, profile: "h100-fp8", machineId: "m-1" };

  it("is a unit vector of k_dim values", () => {
    for (const profile of profileNames) {
      const v = referenceVector({ ...input, profile });
      expect(v.length).toBe(12);
      expect(Math.hypot(...v)).toBeCloseTo(1, 12);
    }
    expect(referenceVector({ ...input, kDim: 3 }).length).toBe(3);
  });

  it("is bit-identical for the same profile and machine id, repeated", () => {
    const a = encodeVector(referenceVector(input));
    for (let i = 0; i < 3; i++) expect(encodeVector(referenceVector({ ...input }))).toEqual(a);
    expect(Array.from(referenceVector(input))).toEqual(Array.from(referenceVector({ ...input })));
  });

  it("changes with every input (block hash, public key, nonce, model, seq_len, k_dim, profile, machine id)", () => {
    const a = Array.from(referenceVector(input));
    const variants: Partial<ReferenceVectorInput>[] = [
      { blockHash: `${base.blockHash.slice(0, -1)}6` },
      { publicKey: `${base.publicKey}x` },
      { nonce: 8 },
      { model: "Qwen/Qwen3-235B-A22B-Instruct-2507" },
      { seqLen: 1023 },
      { profile: "b200-fp8" },
      { machineId: "m-2" },
    ];
    for (const change of variants) {
      const b = Array.from(referenceVector({ ...input, ...change }));
      expect(b, JSON.stringify(change)).not.toEqual(a);
    }
    // k_dim changes the length; its first components differ too.
    expect(Array.from(referenceVector({ ...input, kDim: 13 })).slice(0, 12)).not.toEqual(a);
  });

  it("every profile's vectors are bit-identical to the recorded ones (one digest over profiles, machines, nonces, k_dim)", () => {
    // Recorded before Box-Muller moved to core (src/core/gaussians.ts): a change to the stream changes it.
    const digest = createHash("sha256");
    for (const profile of profileNames)
      for (const machineId of ["", "m2"])
        for (const nonce of [0, 1, 7, 2 ** 32 + 7])
          for (const kDim of [1, 12, 13]) {
            const v = referenceVector({
              blockHash: "ab".repeat(32),
              publicKey: "pk",
              model: "m",
              seqLen: 256,
              kDim,
              nonce,
              profile,
              machineId,
            });
            digest.update(Buffer.from(v.buffer));
          }
    expect(digest.digest("hex")).toBe("558eaad275f280e60990ac3c130ea078f1e13e342facc1ac1c2aae166942a718");
  });

  it("vectorSource gives the same values as referenceVector, nonce after nonce", () => {
    for (const profile of ["exact", "a100-fp8", "int4"]) {
      const vectorOf = vectorSource({ ...input, profile });
      for (const nonce of [0, 1, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER]) {
        expect(Array.from(vectorOf(nonce))).toEqual(Array.from(referenceVector({ ...input, profile, nonce })));
      }
    }
    // Nonces above 2^32 are not folded onto small ones.
    expect(Array.from(referenceVector({ ...input, nonce: 2 ** 32 + 7 }))).not.toEqual(
      Array.from(referenceVector(input)),
    );
  });

  it("the true vector ignores the machine: exact answers the same for every machine id", () => {
    const a = Array.from(referenceVector({ ...input, profile: "exact", machineId: "1" }));
    expect(Array.from(referenceVector({ ...input, profile: "exact", machineId: "2" }))).toEqual(a);
  });

  it("refuses unknown profiles and bad numbers", () => {
    expect(() => referenceVector({ ...input, profile: "tpu-fp4" })).toThrow(UnknownProfileError);
    expect(() => getProfile("tpu-fp4")).toThrow(/known: exact, h100-fp8/);
    expect(() => referenceVector({ ...input, nonce: -1 })).toThrow(/nonce/);
    expect(() => referenceVector({ ...input, nonce: 1.5 })).toThrow(/nonce/);
    expect(() => referenceVector({ ...input, kDim: 0 })).toThrow(/kDim/);
  });

  it("describes every profile in the table", () => {
    expect(profileNames).toEqual(
      expect.arrayContaining(["h100-fp8", "b200-fp8", "a100-fp8", "int4", "h100-int4", "h200-fp8", "h100-w8a16"]),
    );
    for (const name of profileNames) {
      expect(profiles[name]!.name).toBe(name);
      expect(profiles[name]!.description.length).toBeGreaterThan(10);
    }
  });
});
