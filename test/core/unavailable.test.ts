// The evidence behind an UNAVAILABLE vote (core/unavailable.ts): accepted when it is the whole
// budget of one validator's signed tries at one participant, refused otherwise, naming the field.
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { describe, expect, it } from "vitest";
import {
  addressFromPubKey,
  auditEvidence,
  type FailedTry,
  signProofRequest,
  toBase64,
  unavailableEvidence,
} from "../../src/core/index.js";

const validatorKey = new Uint8Array(32).fill(0x31);
const otherKey = new Uint8Array(32).fill(0x32);
const participant = addressFromPubKey(secp256k1.getPublicKey(new Uint8Array(32).fill(0x33), true), "pocval");
const addressOf = (key: Uint8Array) => addressFromPubKey(secp256k1.getPublicKey(key, true), "pocval");

function tryAt(i: number, key = validatorKey): FailedTry {
  return {
    request: signProofRequest(
      {
        stage_height: 112,
        count: 1000,
        root_hash: toBase64(new Uint8Array(32).fill(7)),
        leaf_indices: [3, 9, 27],
        validator_address: addressOf(key),
        participant_address: participant,
        timestamp_ns: (1_700_000_000_000_000_000n + BigInt(i) * 1_000_000_000n).toString(),
      },
      key,
    ),
    failure: { kind: "rate_limited", status: 429, retry_after_ms: 60_000, detail: "429: rate limited" },
  };
}

const tries = [0, 1, 2].map((i) => tryAt(i));

describe("auditEvidence of an UNAVAILABLE vote", () => {
  it("accepts the whole budget of signed tries, summarising the failures", () => {
    const result = auditEvidence(unavailableEvidence(participant, 3, 4000, tries), "pocval");
    expect(result).toEqual({
      valid: true,
      reason: `UNAVAILABLE: 3 signed tries of ${addressOf(validatorKey)} at stage 112, each failed (rate_limited x3)`,
      participant,
      leaf_index: null,
    });
  });

  it("refuses fewer tries than the budget, a try of another validator, one sent twice, or out of order", () => {
    const audit = (t: FailedTry[], budget = 3) =>
      auditEvidence(unavailableEvidence(participant, budget, 4000, t), "pocval");
    expect(audit(tries.slice(0, 2))).toMatchObject({ valid: false, reason: expect.stringMatching(/^tries: 2 tries/) });
    expect(audit([tries[0]!, tries[1]!, tryAt(2, otherKey)])).toMatchObject({
      valid: false,
      reason: "tries.2.request.validator_address: differs from the first try's",
    });
    expect(audit([tries[0]!, tries[1]!, tries[1]!])).toMatchObject({
      valid: false,
      reason: "tries.2.request: the same request sent twice",
    });
    expect(audit([tries[1]!, tries[0]!, tries[2]!])).toMatchObject({
      valid: false,
      reason: "tries.1.request.timestamp_ns: earlier than the try before",
    });
    const forged = structuredClone(tries);
    forged[1]!.request.leaf_indices = [4, 9, 27];
    expect(audit(forged)).toMatchObject({ valid: false, reason: expect.stringMatching(/^tries\.1\.request: /) });
    const elsewhere = { ...unavailableEvidence(participant, 3, 4000, tries), participant: addressOf(otherKey) };
    expect(auditEvidence(elsewhere, "pocval")).toMatchObject({
      valid: false,
      reason: expect.stringMatching(/^tries\.0\.request\.participant_address/),
    });
  });
});
