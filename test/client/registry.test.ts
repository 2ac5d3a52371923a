import { isTxBodyEncodeObject } from "@cosmjs/proto-signing";
import { defaultRegistryTypes } from "@cosmjs/stargate";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createPocvalRegistry, pocvalTypes, typeUrls } from "../../src/client/index.js";
import { Reason, Verdict } from "../../src/gen/pocval/v1/types.js";

const registry = createPocvalRegistry();
const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });

describe("createPocvalRegistry", () => {
  it("holds cosmjs's default types and every pocval message, each under its type URL", () => {
    for (const [url] of defaultRegistryTypes) expect(registry.lookupType(url), url).toBeDefined();
    expect(pocvalTypes.map(([url]) => url).sort()).toEqual(Object.values(typeUrls).sort());
    for (const url of Object.values(typeUrls)) expect(registry.lookupType(url), url).toBeDefined();
    expect(registry.lookupType("/pocval.v1.MsgNoSuchThing")).toBeUndefined();
    expect(() => registry.encodeAsAny({ typeUrl: "/pocval.v1.MsgNoSuchThing", value: {} })).toThrow(/Unregistered/);
  });

  it("round-trips MsgCommitArtifacts through Any for any field values (property)", () => {
    fc.assert(
      fc.property(fc.string(), u64, u64, bytes32, (creator, stageHeight, count, rootHash) => {
        const value = { creator, stageHeight, count, rootHash };
        const any = registry.encodeAsAny({ typeUrl: typeUrls.commitArtifacts, value });
        expect(any.typeUrl).toBe("/pocval.v1.MsgCommitArtifacts");
        expect(registry.decode(any)).toEqual(value);
      }),
    );
  });

  it("round-trips MsgSubmitVotes with several votes (property)", () => {
    const vote = fc.record({
      participant: fc.string(),
      verdict: fc.constantFrom(Verdict.VERDICT_HONEST, Verdict.VERDICT_CHEATER),
      reason: fc.constantFrom(Reason.REASON_STAT_TEST, Reason.REASON_UNAVAILABLE),
      checked: fc.nat({ max: 2 ** 32 - 1 }),
      mismatches: fc.nat({ max: 2 ** 32 - 1 }),
      pValue: fc.constantFrom("1", "0.5", "1e-9"),
      evidenceHash: bytes32,
    });
    fc.assert(
      fc.property(fc.string(), u64, fc.array(vote, { maxLength: 5 }), (creator, stageHeight, votes) => {
        const value = { creator, stageHeight, votes };
        expect(registry.decode(registry.encodeAsAny({ typeUrl: typeUrls.submitVotes, value }))).toEqual(value);
      }),
    );
  });

  it("encodes a tx body mixing a bank send and a pocval message", () => {
    const body = {
      typeUrl: "/cosmos.tx.v1beta1.TxBody",
      value: {
        messages: [
          {
            typeUrl: "/cosmos.bank.v1beta1.MsgSend",
            value: { fromAddress: "pocval1a", toAddress: "pocval1b", amount: [{ denom: "upoc", amount: "1" }] },
          },
          {
            typeUrl: typeUrls.registerParticipant,
            value: { creator: "pocval1a", pocPublicKey: "pk", proofApiUrl: "http://127.0.0.1:1" },
          },
        ],
        memo: "m",
      },
    };
    expect(isTxBodyEncodeObject(body)).toBe(true);
    // decodeTxBody decodes each message by its type URL through the registry.
    const decoded = registry.decodeTxBody(registry.encode(body));
    expect(decoded.messages).toEqual(body.value.messages.map((m) => m.value));
    expect(decoded.memo).toBe("m");
  });
});
