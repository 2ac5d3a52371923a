import { secp256k1 } from "@noble/curves/secp256k1.js";
import { computeAddress, hexlify } from "ethers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addressFromPubKey,
  addressPrefixOf,
  EVM_ADDRESS_PREFIX,
  proofRequestSchema,
  proofRequestSignBytes,
  signProofRequest,
  verifyProofRequest,
} from "../../src/core/index.js";

const privateKey = new Uint8Array(32).fill(7);
const address = addressFromPubKey(secp256k1.getPublicKey(privateKey, true), "pocval");
const now = 1_700_000_000_000_000_000n;
const unsigned = {
  stage_height: 32,
  count: 1000,
  root_hash: Buffer.alloc(32, 1).toString("base64"),
  leaf_indices: [5, 1, 999],
  validator_address: address,
  participant_address: "pocval1participant",
  timestamp_ns: now.toString(),
};

describe("proof request signing", () => {
  it("signs the sorted-key compact JSON", () => {
    const signed = signProofRequest(unsigned, privateKey);
    expect(new TextDecoder().decode(proofRequestSignBytes(signed))).toBe(
      `{"count":1000,"leaf_indices":[5,1,999],"participant_address":"pocval1participant","pub_key":"${signed.pub_key}","root_hash":"${unsigned.root_hash}",` +
        `"stage_height":32,"timestamp_ns":"${now}","validator_address":"${address}"}`,
    );
    expect(proofRequestSchema.safeParse(signed).success).toBe(true);
    expect(Buffer.from(signed.signature, "base64")).toHaveLength(64);
  });

  it("derives the Cosmos address of the key", () => {
    // Key 0x07 repeated: address computed once with the same RIPEMD160(SHA256(pubkey)) recipe in cosmjs.
    expect(address).toMatch(/^pocval1[02-9ac-hj-np-z]{38}$/);
    expect(address).toBe("pocval150rtrmj2f8vl9tem8qpfw36ylw5jg9j2y5hcsa");
  });

  it("verifies, and rejects tampering, a foreign key, and stale timestamps", () => {
    const signed = signProofRequest(unsigned, privateKey);
    expect(verifyProofRequest(signed, "pocval", now)).toEqual({ ok: true });
    expect(verifyProofRequest({ ...signed, leaf_indices: [5, 1, 998] }, "pocval", now)).toMatchObject({ ok: false });
    const other = signProofRequest({ ...unsigned }, new Uint8Array(32).fill(9));
    const check = verifyProofRequest({ ...other, validator_address: address }, "pocval", now);
    expect(check).toMatchObject({ ok: false, reason: expect.stringMatching(/derives/) });
    expect(verifyProofRequest(signed, "pocval", now + 5n * 60n * 10n ** 9n + 1n)).toMatchObject({
      reason: expect.stringMatching(/5 minutes/),
    });
    expect(verifyProofRequest(signed, "pocval", now - 4n * 60n * 10n ** 9n)).toEqual({ ok: true });
  });

  it("any flipped bit in the signature fails verification", () => {
    const signed = signProofRequest(unsigned, privateKey);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 511 }), (bit) => {
        const sig = Buffer.from(signed.signature, "base64");
        sig[bit >> 3]! ^= 1 << (bit & 7);
        expect(verifyProofRequest({ ...signed, signature: sig.toString("base64") }, "pocval", now).ok).toBe(false);
      }),
    );
  });

  it("the schema bounds the request", () => {
    const signed = signProofRequest(unsigned, privateKey);
    expect(
      proofRequestSchema.safeParse({ ...signed, leaf_indices: Array.from({ length: 501 }, (_, i) => i) }).success,
    ).toBe(false);
    expect(proofRequestSchema.safeParse({ ...signed, leaf_indices: [] }).success).toBe(false);
    expect(proofRequestSchema.safeParse({ ...signed, root_hash: "AAAA" }).success).toBe(false);
    expect(proofRequestSchema.safeParse({ ...signed, timestamp_ns: 5 }).success).toBe(false);
    expect(proofRequestSchema.safeParse({ ...signed, extra: 1 }).success).toBe(false);
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        // Arbitrary JSON never throws, it parses or fails.
        expect(typeof proofRequestSchema.safeParse(v).success).toBe("boolean");
      }),
    );
  });
});

describe("EVM addresses", () => {
  it("property: the 0x prefix derives the EVM address (ethers' computeAddress, lower case) of a compressed key", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        fc.pre(secp256k1.utils.isValidSecretKey(bytes));
        const pub = secp256k1.getPublicKey(bytes, true);
        expect(addressFromPubKey(pub, EVM_ADDRESS_PREFIX)).toBe(computeAddress(hexlify(pub)).toLowerCase());
      }),
      { numRuns: 200 },
    );
  });

  it("a request signed by an EVM account verifies under the 0x prefix and not under bech32", () => {
    const evm = addressFromPubKey(secp256k1.getPublicKey(privateKey, true), EVM_ADDRESS_PREFIX);
    const signed = signProofRequest({ ...unsigned, validator_address: evm }, privateKey);
    expect(verifyProofRequest(signed, EVM_ADDRESS_PREFIX, now)).toEqual({ ok: true });
    expect(verifyProofRequest(signed, "pocval", now).ok).toBe(false);
    expect(addressPrefixOf(evm)).toBe("0x");
    expect(addressPrefixOf(address)).toBe("pocval");
  });
});
