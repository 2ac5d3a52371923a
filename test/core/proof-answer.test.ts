// Signed proof answers and the audit of fault evidence (docs/protocol.md "Signed proof answers"):
// real keys, real Merkle trees from src/core, real signatures; nothing mocked.
import { secp256k1 } from "@noble/curves/secp256k1.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addressFromPubKey,
  auditEvidence,
  auditPath,
  buildLevels,
  canonicalJson,
  encodeVector,
  type FaultEvidence,
  type LeafProof,
  leafHash,
  levelNodes,
  merkleRoot,
  proofAnswerSigners,
  signProofAnswer,
  signProofRequest,
  toBase64,
  verifyProofAnswer,
} from "../../src/core/index.js";

const COUNT = 40;
const validatorKey = new Uint8Array(32).fill(7);
const validator = addressFromPubKey(secp256k1.getPublicKey(validatorKey, true), "pocval");
const participantKey = new Uint8Array(32).fill(8);
const participant = addressFromPubKey(secp256k1.getPublicKey(participantKey, true), "pocval");
const otherKey = new Uint8Array(32).fill(9);

const vectors = Array.from({ length: COUNT }, (_, i) =>
  encodeVector(Array.from({ length: 12 }, (_, j) => Math.cos(i * 0.7 + j) / 3)),
);
const hashes = new Uint8Array(COUNT * 32);
for (const [i, v] of vectors.entries()) hashes.set(leafHash(i, v), i * 32);
const nodes = levelNodes(buildLevels(hashes));
const root = merkleRoot(nodes, COUNT);
const honestLeaf = (i: number): LeafProof => ({
  leaf_index: i,
  nonce: i,
  vector_b64: toBase64(vectors[i]!),
  audit_path: auditPath(nodes, i, COUNT).map(toBase64),
});

const request = signProofRequest(
  {
    stage_height: 56,
    count: COUNT,
    root_hash: toBase64(root),
    leaf_indices: [3, 17, 9, 30],
    validator_address: validator,
    participant_address: participant,
    timestamp_ns: "1764676800000000000",
  },
  validatorKey,
);

function answer(proofs: LeafProof[], key = participantKey) {
  return signProofAnswer(
    {
      stage_height: request.stage_height,
      count: request.count,
      root_hash: request.root_hash,
      validator_address: request.validator_address,
      timestamp_ns: request.timestamp_ns,
      proofs,
    },
    key,
  );
}

/** A wrong-proof participant: leaf 17's vector has a flipped bit, so its audit path fails. */
function flipped(i: number): LeafProof {
  const bytes = vectors[i]!.slice();
  bytes[0]! ^= 1;
  return { ...honestLeaf(i), vector_b64: toBase64(bytes) };
}
const invalidProof: FaultEvidence = {
  participant,
  reason: "INVALID_PROOF",
  k_dim: 12,
  request,
  answer: answer([honestLeaf(3), flipped(17), honestLeaf(9), honestLeaf(30)]),
};

describe("signed proof answers", () => {
  it("canonical JSON sorts keys at every depth and drops whitespace", () => {
    expect(canonicalJson({ b: 1, a: [{ d: "x", c: [2, 1] }], e: null })).toBe(
      '{"a":[{"c":[2,1],"d":"x"}],"b":1,"e":null}',
    );
  });

  it("an answer is verified against the request it repeats and the participant's address", () => {
    const a = answer([honestLeaf(3)]);
    expect(proofAnswerSigners(a, "pocval")).toContain(participant);
    expect(verifyProofAnswer(a, request, participant, "pocval")).toEqual({ ok: true });
    expect(verifyProofAnswer(a, { ...request, timestamp_ns: "1" }, participant, "pocval")).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/timestamp_ns/),
    });
    const byOther = answer([honestLeaf(3)], otherKey);
    expect(verifyProofAnswer(byOther, request, participant, "pocval")).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/participant_signature/),
    });
  });

  it("any changed byte of a signed answer breaks its signature (property)", () => {
    const a = answer([honestLeaf(3), honestLeaf(17)]);
    const text = JSON.stringify(a);
    fc.assert(
      fc.property(fc.nat(text.length - 1), fc.constantFrom("0", "1", "A", "z"), (at, ch) => {
        if (text[at] === ch) return true;
        let changed: unknown;
        try {
          changed = JSON.parse(text.slice(0, at) + ch + text.slice(at + 1));
        } catch {
          return true;
        }
        const c = changed as typeof a;
        if (typeof c !== "object" || c === null || typeof c.participant_signature !== "string") return true;
        if (canonicalJson(c) === canonicalJson(a)) return true;
        try {
          return !proofAnswerSigners(c, "pocval").includes(participant);
        } catch {
          return true;
        }
      }),
      { numRuns: 120 },
    );
  });
});

describe("auditEvidence", () => {
  it("accepts real evidence and names the failing leaf", () => {
    expect(auditEvidence(invalidProof, "pocval")).toEqual({
      valid: true,
      reason: expect.stringMatching(/^INVALID_PROOF: leaf 17: the audit path does not verify/),
      participant,
      leaf_index: 17,
    });
    const badNonce: FaultEvidence = {
      ...invalidProof,
      reason: "BAD_NONCE",
      answer: answer([honestLeaf(3), honestLeaf(17), { ...honestLeaf(9), nonce: 8 }, honestLeaf(30)]),
    };
    // A leaf whose nonce differs but whose path verifies is impossible for an honest tree: the
    // nonce is hashed into the leaf. So BAD_NONCE needs a tree committing the wrong nonce.
    expect(auditEvidence(badNonce, "pocval")).toMatchObject({ valid: false, leaf_index: 9 });
  });

  it("accepts BAD_NONCE and BAD_VECTOR evidence from trees that commit them", () => {
    const leaves = Array.from({ length: 8 }, (_, i) => ({ nonce: i === 5 ? 4 : i, bytes: vectors[i]! }));
    leaves[6] = { nonce: 6, bytes: new Uint8Array(24).fill(0xff) }; // NaN halves: not finite
    const h = new Uint8Array(8 * 32);
    for (const [i, l] of leaves.entries()) h.set(leafHash(l.nonce, l.bytes), i * 32);
    const n = levelNodes(buildLevels(h));
    const r = merkleRoot(n, 8);
    const leaf = (i: number): LeafProof => ({
      leaf_index: i,
      nonce: leaves[i]!.nonce,
      vector_b64: toBase64(leaves[i]!.bytes),
      audit_path: auditPath(n, i, 8).map(toBase64),
    });
    const req = (indices: number[]) =>
      signProofRequest(
        { ...request, count: 8, root_hash: toBase64(r), leaf_indices: indices, participant_address: participant },
        validatorKey,
      );
    const signed = (rq: ReturnType<typeof req>, proofs: LeafProof[]) =>
      signProofAnswer(
        {
          stage_height: rq.stage_height,
          count: rq.count,
          root_hash: rq.root_hash,
          validator_address: rq.validator_address,
          timestamp_ns: rq.timestamp_ns,
          proofs,
        },
        participantKey,
      );
    const rn = req([1, 5]);
    expect(
      auditEvidence(
        { participant, reason: "BAD_NONCE", k_dim: 12, request: rn, answer: signed(rn, [leaf(1), leaf(5)]) },
        "pocval",
      ),
    ).toMatchObject({ valid: true, leaf_index: 5 });
    const rv = req([6]);
    expect(
      auditEvidence(
        { participant, reason: "BAD_VECTOR", k_dim: 12, request: rv, answer: signed(rv, [leaf(6)]) },
        "pocval",
      ),
    ).toMatchObject({ valid: true, leaf_index: 6 });
  });

  it("refuses tampered leaves: any change to the signed answer", () => {
    const tampered = structuredClone(invalidProof);
    tampered.answer.proofs[1] = honestLeaf(17);
    expect(auditEvidence(tampered, "pocval")).toMatchObject({
      valid: false,
      reason: expect.stringMatching(/participant_signature/),
    });
    const path = structuredClone(invalidProof);
    path.answer.proofs[0]!.audit_path[0] = toBase64(new Uint8Array(32));
    expect(auditEvidence(path, "pocval").valid).toBe(false);
  });

  it("refuses a wrong signer: an answer the participant did not sign, or a request for someone else", () => {
    const forged = { ...invalidProof, answer: answer(invalidProof.answer.proofs, otherKey) };
    expect(auditEvidence(forged, "pocval")).toMatchObject({
      valid: false,
      reason: expect.stringMatching(/participant_signature: not made by/),
    });
    const other = addressFromPubKey(secp256k1.getPublicKey(otherKey, true), "pocval");
    expect(auditEvidence({ ...invalidProof, participant: other }, "pocval")).toMatchObject({
      valid: false,
      reason: expect.stringMatching(/participant_address/),
    });
    const resigned = {
      ...invalidProof,
      request: { ...request, signature: signProofRequest({ ...request, leaf_indices: [3] }, validatorKey).signature },
    };
    expect(auditEvidence(resigned, "pocval")).toMatchObject({
      valid: false,
      reason: expect.stringMatching(/^request:/),
    });
  });

  it("refuses a non-failing leaf: an honest answer, or one failing otherwise than claimed", () => {
    const honest = { ...invalidProof, answer: answer([3, 17, 9, 30].map(honestLeaf)) };
    expect(auditEvidence(honest, "pocval")).toMatchObject({
      valid: false,
      reason: expect.stringMatching(/no leaf fails/),
    });
    expect(auditEvidence({ ...invalidProof, reason: "BAD_VECTOR" }, "pocval")).toMatchObject({
      valid: false,
      reason: expect.stringMatching(/shows INVALID_PROOF/),
      leaf_index: 17,
    });
  });

  it("refuses malformed evidence naming the field", () => {
    expect(auditEvidence({ ...invalidProof, k_dim: 0 }, "pocval")).toMatchObject({
      valid: false,
      reason: expect.stringMatching(/^k_dim/),
    });
    expect(auditEvidence("nope", "pocval")).toMatchObject({ valid: false, participant: null });
  });
});
