import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  binomialPValue,
  criticalCountFor,
  encodeVector,
  evidenceHash,
  statTestContradiction,
  toHex,
} from "../../src/core/index.js";
import { Reason, Verdict } from "../../src/gen/pocval/v1/types.js";
import {
  ChainParamsError,
  curtailedVote,
  decideFromDistances,
  faultVote,
  formatPValue,
  parseCheckParams,
  verifyLeaves,
} from "../../src/sidecar/index.js";
import { buildTree, honestLeaves, testVector } from "./helpers.js";

const STAT = { distThreshold: 0.173663, fpRate: 0.02, alpha: 0.05 };

describe("decideFromDistances", () => {
  it("votes HONEST with p = 1 when nothing mismatches", () => {
    const indices = [4, 9, 1];
    const vote = decideFromDistances("pocval1p", indices, [0.01, 0.1, 0.173663], STAT);
    expect(vote).toMatchObject({
      participant: "pocval1p",
      verdict: Verdict.VERDICT_HONEST,
      reason: Reason.REASON_STAT_TEST,
      checked: 3,
      mismatches: 0,
      pValue: "1",
    });
    expect(toHex(vote.evidenceHash)).toBe(toHex(evidenceHash(indices, [0.01, 0.1, 0.173663])));
  });

  it("counts a mismatch only strictly above the threshold", () => {
    const vote = decideFromDistances("p", [0, 1], [0.173663, 0.1736631], STAT);
    expect(vote.mismatches).toBe(1);
  });

  it("switches to CHEATER where the exact binomial p-value drops below alpha (N = 200)", () => {
    const indices = Array.from({ length: 200 }, (_, i) => i);
    const at = (k: number) =>
      decideFromDistances(
        "p",
        indices,
        indices.map((i) => (i < k ? 0.5 : 0.05)),
        STAT,
      );
    // P[X >= 7 | 200, 0.02] = 0.108562 and P[X >= 8] = 0.049335 (exact sums in Python's fractions).
    expect(at(7).verdict).toBe(Verdict.VERDICT_HONEST);
    expect(Number(at(7).pValue)).toBeCloseTo(0.10856194692692274, 12);
    expect(at(8).verdict).toBe(Verdict.VERDICT_CHEATER);
    expect(Number(at(8).pValue)).toBeCloseTo(0.049335054944824604, 12);
    expect(at(8)).toMatchObject({ reason: Reason.REASON_STAT_TEST, checked: 200, mismatches: 8 });
    expect(Number(at(40).pValue)).toBe(Number(formatPValue(binomialPValue(40, 200, 0.02))));
  });

  it("honours a small alpha (the integration tests' 1e-4)", () => {
    const indices = Array.from({ length: 200 }, (_, i) => i);
    const vote = decideFromDistances(
      "p",
      indices,
      indices.map((i) => (i < 9 ? 0.5 : 0)),
      { ...STAT, alpha: 1e-4 },
    );
    expect(vote.verdict).toBe(Verdict.VERDICT_HONEST);
  });
});

describe("formatPValue", () => {
  it("writes plain decimals the chain accepts", () => {
    expect(formatPValue(0)).toBe("0");
    expect(formatPValue(1)).toBe("1");
    expect(formatPValue(0.5)).toBe("0.5");
    expect(formatPValue(1.5e-7)).toBe("0.00000015");
    expect(formatPValue(1e-300)).toMatch(/^0\.0{299}1$/);
    expect(formatPValue(1.2345678901234567e-20)).toBe("0.000000000000000000012345678901234567");
    expect(() => formatPValue(1.5)).toThrow(RangeError);
  });

  it("round-trips exactly (property)", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), (p) => {
        const text = formatPValue(p);
        expect(text).toMatch(/^[0-9]+(\.[0-9]+)?$/);
        expect(Number(text)).toBe(p);
      }),
    );
  });
});

describe("faultVote", () => {
  it("is a CHEATER vote with null distances as evidence", () => {
    const vote = faultVote("p", [2, 5], Reason.REASON_BAD_NONCE);
    expect(vote).toMatchObject({
      verdict: Verdict.VERDICT_CHEATER,
      reason: Reason.REASON_BAD_NONCE,
      checked: 0,
      pValue: "0",
    });
    expect(toHex(vote.evidenceHash)).toBe(toHex(evidenceHash([2, 5], [null, null])));
  });
});

describe("parseCheckParams", () => {
  const base = {
    model: "m",
    seqLen: 1024,
    kDim: 12,
    distThreshold: "0.173663",
    fpRate: "0.02",
    alpha: "0.05",
    sampleSize: 200,
    quorumNum: 1n,
    quorumDen: 2n,
    validationSlots: 0,
    proofRequestBudget: 0,
    proofResponseMs: 0,
    acceptanceRate: "",
  };
  it("parses the decimal strings", () => {
    expect(parseCheckParams(base)).toEqual({
      model: "m",
      seqLen: 1024,
      kDim: 12,
      distThreshold: 0.173663,
      fpRate: 0.02,
      alpha: 0.05,
      sampleSize: 200,
      quorumNum: 1n,
      quorumDen: 2n,
      validationSlots: 0,
      // The exact k_crit(200) at fp_rate 0.02, alpha 0.05 (core/kcrit.ts; scipy agrees).
      kCrit: 8,
      // 0 on chain (params older than the availability params) reads as the defaults.
      proofRequestBudget: 8,
      proofResponseMs: 30_000,
      // Empty on chain: early acceptance off (version 2).
      acceptanceRate: "",
    });
  });
  it("names the field that does not parse", () => {
    expect(() => parseCheckParams({ ...base, alpha: "1e-4" })).toThrow(ChainParamsError);
    expect(() => parseCheckParams({ ...base, acceptanceRate: "0.02" })).toThrow(/acceptance_rate/);
    expect(() => parseCheckParams({ ...base, fpRate: "2" })).toThrow(/fp_rate/);
    expect(() => parseCheckParams({ ...base, kDim: 0 })).toThrow(/k_dim/);
  });
});

describe("verifyLeaves", () => {
  const kDim = 12;
  const tree = buildTree(honestLeaves(37, (i) => testVector(i, kDim)));
  const indices = [36, 0, 17, 5];
  const proofs = indices.map((i) => tree.proof(i));
  const check = (p = proofs, extra: Partial<Parameters<typeof verifyLeaves>[0]> = {}) =>
    verifyLeaves({ indices, proofs: p, rootHash: tree.root, count: tree.count, kDim, ...extra });

  it("accepts an honest answer in any order and returns vectors in sample order", () => {
    const result = check([...proofs].reverse());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.leaves.map((l) => l.index)).toEqual(indices);
    expect(Array.from(result.leaves[1]!.vector)).toEqual(
      Array.from(testVector(0, kDim)).map((x) => expect.closeTo(x, 3)),
    );
  });

  it("INVALID_PROOF for a missing, extra, duplicated or unrequested leaf", () => {
    expect(check(proofs.slice(1))).toMatchObject({
      ok: false,
      reason: Reason.REASON_INVALID_PROOF,
      detail: /36 is missing/,
    });
    expect(check([...proofs, tree.proof(3)])).toMatchObject({
      ok: false,
      reason: Reason.REASON_INVALID_PROOF,
      detail: /not requested/,
    });
    expect(check([...proofs, proofs[0]!])).toMatchObject({
      ok: false,
      reason: Reason.REASON_INVALID_PROOF,
      detail: /twice/,
    });
  });

  it("INVALID_PROOF for a vector not in the committed tree, a short path, or the wrong count", () => {
    const altered = { ...proofs[2]!, vector_b64: Buffer.from(encodeVector(testVector(99, kDim))).toString("base64") };
    expect(check([proofs[0]!, proofs[1]!, altered, proofs[3]!])).toMatchObject({
      ok: false,
      reason: Reason.REASON_INVALID_PROOF,
    });
    const short = { ...proofs[0]!, audit_path: proofs[0]!.audit_path.slice(1) };
    expect(check([short, ...proofs.slice(1)])).toMatchObject({ ok: false, reason: Reason.REASON_INVALID_PROOF });
    expect(check(proofs, { count: 38 })).toMatchObject({ ok: false, reason: Reason.REASON_INVALID_PROOF });
    const notBase64 = { ...proofs[0]!, vector_b64: "@@@" };
    expect(check([notBase64, ...proofs.slice(1)])).toMatchObject({ ok: false, reason: Reason.REASON_INVALID_PROOF });
  });

  it("BAD_NONCE when the committed leaf holds another nonce", () => {
    const leaves = honestLeaves(8, (i) => testVector(i, kDim));
    leaves[5] = { ...leaves[5]!, nonce: 1005 };
    const bad = buildTree(leaves);
    const result = verifyLeaves({
      indices: [2, 5],
      proofs: [bad.proof(2), bad.proof(5)],
      rootHash: bad.root,
      count: 8,
      kDim,
    });
    expect(result).toMatchObject({ ok: false, reason: Reason.REASON_BAD_NONCE, detail: /leaf 5 holds nonce 1005/ });
  });

  it("BAD_VECTOR when a committed vector has the wrong length or a NaN or infinity", () => {
    for (const bytes of [
      encodeVector(testVector(1, kDim - 1)),
      encodeVector([...testVector(1, kDim - 1), Number.NaN]),
      encodeVector([...testVector(1, kDim - 1), Number.POSITIVE_INFINITY]),
    ]) {
      const leaves = honestLeaves(4, (i) => testVector(i, kDim));
      leaves[3] = { nonce: 3, bytes };
      const bad = buildTree(leaves);
      const result = verifyLeaves({ indices: [3], proofs: [bad.proof(3)], rootHash: bad.root, count: 4, kDim });
      expect(result).toMatchObject({ ok: false, reason: Reason.REASON_BAD_VECTOR });
    }
  });

  it("accepts every honest answer and rejects any single flipped byte (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        (count, seed, where, bit) => {
          const t = buildTree(honestLeaves(count, (i) => testVector(i + seed, 4)));
          const idx = [...new Set([seed % count, (seed * 7 + 3) % count, count - 1])];
          const good = idx.map((i) => t.proof(i));
          expect(verifyLeaves({ indices: idx, proofs: good, rootHash: t.root, count, kDim: 4 }).ok).toBe(true);
          // Flip one bit of one leaf's vector or audit path element.
          const victim = good[where % good.length]!;
          const parts = [victim.vector_b64, ...victim.audit_path];
          const partIndex = Math.floor(where / good.length) % parts.length;
          const bytes = Buffer.from(parts[partIndex]!, "base64");
          bytes[where % bytes.length]! ^= 1 << bit;
          const flipped = bytes.toString("base64");
          const mutated =
            partIndex === 0
              ? { ...victim, vector_b64: flipped }
              : { ...victim, audit_path: victim.audit_path.map((h, i) => (i === partIndex - 1 ? flipped : h)) };
          const proofs = good.map((p) => (p === victim ? mutated : p));
          const result = verifyLeaves({ indices: idx, proofs, rootHash: t.root, count, kDim: 4 });
          expect(result.ok).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("never throws on arbitrary served leaves, and rejects them (property)", () => {
    const b64 = fc.oneof(
      fc.string(),
      fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString("base64")),
    );
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            leaf_index: fc.oneof(fc.constantFrom(...indices), fc.nat()),
            nonce: fc.nat(),
            vector_b64: b64,
            audit_path: fc.array(b64, { maxLength: 8 }),
          }),
          { maxLength: 6 },
        ),
        (served) => {
          const result = verifyLeaves({ indices, proofs: served, rootHash: tree.root, count: tree.count, kDim });
          expect(result.ok).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });
});

/** docs/protocol.md's evidence hash written out again: NaN (0x7ff8000000000000) for leaves not recomputed. */
function independentEvidenceHash(indices: readonly number[], dists: readonly number[]): string {
  const h = createHash("sha256").update("pocval/evidence/v1");
  indices.forEach((index, i) => {
    const b = Buffer.alloc(16);
    b.writeBigUInt64LE(BigInt(index), 0);
    if (i < dists.length) b.writeDoubleLE(dists[i]!, 8);
    else b.writeBigUInt64LE(0x7ff8000000000000n, 8);
    h.update(b);
  });
  return h.digest("hex");
}

describe("curtailedVote (docs/protocol.md, curtailed checks)", () => {
  const indices = Array.from({ length: 200 }, (_, i) => (i * 37) % 1000);
  // n = 200, fp_rate 0.02, alpha 0.05: k_crit = 8.
  it("certifies CHEATER once mismatches reach k_crit(n), with p = P[X >= mismatches] at n", () => {
    const dists = Array.from({ length: 20 }, (_, i) => (i < 8 ? 0.5 : 0.01));
    expect(curtailedVote("p", indices, dists.slice(0, 19), STAT)).toMatchObject({
      verdict: Verdict.VERDICT_CHEATER,
      checked: 19,
      mismatches: 8,
    });
    expect(curtailedVote("p", indices, dists.slice(0, 7), STAT)).toBeUndefined();
    const vote = curtailedVote("p", indices, dists, STAT)!;
    expect(vote).toMatchObject({ verdict: Verdict.VERDICT_CHEATER, reason: Reason.REASON_STAT_TEST, checked: 20 });
    // scipy.stats.binom.sf(7, 200, 0.02)
    expect(Number(vote.pValue)).toBeCloseTo(0.049335054944824625, 14);
    expect(toHex(vote.evidenceHash)).toBe(independentEvidenceHash(indices, dists));
  });

  it("certifies HONEST once k_crit(n) is out of reach, with p = P[X >= mismatches + (n - checked)]", () => {
    const dists = Array.from({ length: 194 }, (_, i) => (i === 3 ? 0.5 : 0.01));
    expect(curtailedVote("p", indices, dists.slice(0, 193), STAT)).toBeUndefined();
    const vote = curtailedVote("p", indices, dists, STAT)!;
    expect(vote).toMatchObject({ verdict: Verdict.VERDICT_HONEST, checked: 194, mismatches: 1 });
    // scipy.stats.binom.sf(6, 200, 0.02): m* = 1 + 6 = 7
    expect(Number(vote.pValue)).toBeCloseTo(0.10856194692692268, 14);
    expect(toHex(vote.evidenceHash)).toBe(independentEvidenceHash(indices, dists));
    expect(toHex(vote.evidenceHash)).not.toBe(independentEvidenceHash(indices, [...dists, 0.01]));
  });

  it("equals the full test with every leaf checked, and its numbers never contradict its verdict (the chain's rule)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 1, maxLength: 120 }),
        fc.integer({ min: 1, max: 40 }),
        (mismatch, chunk) => {
          const idx = mismatch.map((_, i) => i);
          const dists = mismatch.map((m) => (m ? 0.5 : 0.01));
          const full = decideFromDistances("p", idx, dists, STAT);
          expect(curtailedVote("p", idx, dists, STAT)).toEqual(full);
          let checked = 0;
          let vote = curtailedVote("p", idx, [], STAT);
          while (vote === undefined) {
            checked = Math.min(idx.length, checked + chunk);
            vote = curtailedVote("p", idx, dists.slice(0, checked), STAT);
          }
          expect(vote.verdict).toBe(full.verdict);
          const k = criticalCountFor(idx.length, STAT);
          expect(statTestContradiction(vote, idx.length, k)).toBeUndefined();
          expect(Number(vote.pValue) < 0.05).toBe(vote.verdict === Verdict.VERDICT_CHEATER);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("curtailedVote with early acceptance (docs/protocol.md, version 3)", () => {
  const indices = Array.from({ length: 200 }, (_, i) => (i * 37) % 1000);
  const EARLY = { ...STAT, acceptanceRate: "0.015" };

  it("stops HONEST at a(c) = floor(0.015 c) with the prefix's p-value; CHEATER first; off without the param", () => {
    const dists = Array.from({ length: 100 }, (_, i) => (i === 5 ? 0.5 : 0.01));
    // a(66) = 0 < 1 mismatch: still open; a(67) = 1: HONEST at 67 (1 + 133 >= 8 would not stop a curtailed check)
    expect(curtailedVote("p", indices, dists.slice(0, 66), EARLY)).toBeUndefined();
    const vote = curtailedVote("p", indices, dists.slice(0, 67), EARLY)!;
    expect(vote).toMatchObject({ verdict: Verdict.VERDICT_HONEST, checked: 67, mismatches: 1 });
    // scipy.stats.binom.sf(0, 67, 0.02)
    expect(Number(vote.pValue)).toBeCloseTo(1 - 0.98 ** 67, 14);
    expect(toHex(vote.evidenceHash)).toBe(independentEvidenceHash(indices, dists.slice(0, 67)));
    expect(curtailedVote("p", indices, dists.slice(0, 67), STAT)).toBeUndefined();
    expect(curtailedVote("p", indices, dists.slice(0, 67), { ...STAT, acceptanceRate: "" })).toBeUndefined();
    const bad = Array.from({ length: 100 }, (_, i) => (i < 8 ? 0.5 : 0.01));
    expect(curtailedVote("p", indices, bad, { ...STAT, acceptanceRate: "0.0199" })?.verdict).toBe(
      Verdict.VERDICT_CHEATER,
    );
  });

  it("every vote it sends passes the chain's rule, for random n, k, lambda, chunk sizes and mismatches (fast-check)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: 1, maxLength: 300 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 0, max: 999 }),
        fc.constantFrom("0.001", "0.05", "0.2"),
        (mismatch, chunks, fpMilli, share, alpha) => {
          const acceptanceRate = ((fpMilli * share) / 1e6).toFixed(6); // below fp_rate
          const params = { distThreshold: 0.1, fpRate: fpMilli / 1000, alpha: Number(alpha), acceptanceRate };
          const idx = mismatch.map((_, i) => i);
          const dists = mismatch.map((m) => (m ? 0.5 : 0.01));
          let checked = 0;
          let vote = curtailedVote("p", idx, [], params);
          for (let c = 0; vote === undefined; c++) {
            checked = Math.min(idx.length, checked + chunks[c % chunks.length]!);
            vote = curtailedVote("p", idx, dists.slice(0, checked), params);
          }
          const k = criticalCountFor(idx.length, params);
          expect(statTestContradiction(vote, idx.length, k, acceptanceRate)).toBeUndefined();
          if (vote.verdict === Verdict.VERDICT_CHEATER) {
            expect(decideFromDistances("p", idx, dists, params).verdict).toBe(Verdict.VERDICT_CHEATER);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
