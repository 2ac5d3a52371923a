import { encodeSecp256k1Pubkey } from "@cosmjs/amino";
import { DirectSecp256k1HdWallet, encodePubkey, makeAuthInfoBytes, makeSignDoc } from "@cosmjs/proto-signing";
import { MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import { TxBody, TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { TxError } from "../../src/app/errors.js";
import { addressOfPubKey, decodeTx, MAX_TX_BYTES, signDocBytes, txHash, verifySecp256k1 } from "../../src/app/tx.js";

const MNEMONIC =
  "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art";

/** decodeTx either decodes or throws TxError with code 2 or 21: never anything else. */
function decodeOrCode(bytes: Uint8Array): "ok" | number {
  try {
    decodeTx(bytes);
    return "ok";
  } catch (err) {
    if (!(err instanceof TxError)) throw err;
    expect(err.codespace).toBe("sdk");
    return err.code;
  }
}

describe("the tx decoder and signature check", () => {
  let signed: Uint8Array;
  let address: string;
  let pubKey: Uint8Array;

  beforeAll(async () => {
    const wallet = await DirectSecp256k1HdWallet.fromMnemonic(MNEMONIC, { prefix: "pocval" });
    const [account] = await wallet.getAccounts();
    address = account!.address;
    pubKey = account!.pubkey;
    const bodyBytes = TxBody.encode(
      TxBody.fromPartial({
        messages: [
          {
            typeUrl: "/cosmos.bank.v1beta1.MsgSend",
            value: MsgSend.encode({
              fromAddress: address,
              toAddress: address,
              amount: [{ denom: "upoc", amount: "1" }],
            }).finish(),
          },
        ],
        memo: "hi",
      }),
    ).finish();
    const authInfoBytes = makeAuthInfoBytes(
      [{ pubkey: encodePubkey(encodeSecp256k1Pubkey(pubKey)), sequence: 3 }],
      [{ denom: "upoc", amount: "2000" }],
      200000,
      undefined,
      undefined,
    );
    const { signature, signed: doc } = await wallet.signDirect(
      address,
      makeSignDoc(bodyBytes, authInfoBytes, "test-chain", 7),
    );
    signed = TxRaw.encode({
      bodyBytes: doc.bodyBytes,
      authInfoBytes: doc.authInfoBytes,
      signatures: [Buffer.from(signature.signature, "base64")],
    }).finish();
  });

  it("decodes a cosmjs-signed tx and verifies its signature for the right chain id and account number only", () => {
    const tx = decodeTx(signed);
    expect(tx.memo).toBe("hi");
    expect(tx.signers[0]?.sequence).toBe(3n);
    expect(tx.fee.gasLimit).toBe(200000n);
    expect(tx.hash).toBe(txHash(signed));
    expect(tx.hash).toMatch(/^[0-9A-F]{64}$/);
    expect(addressOfPubKey(tx.signers[0]!.pubKey!)).toBe(address);
    const sig = tx.signatures[0]!;
    expect(verifySecp256k1(sig, signDocBytes(tx, "test-chain", 7n), pubKey)).toBe(true);
    expect(verifySecp256k1(sig, signDocBytes(tx, "other-chain", 7n), pubKey)).toBe(false);
    expect(verifySecp256k1(sig, signDocBytes(tx, "test-chain", 8n), pubKey)).toBe(false);
    expect(verifySecp256k1(sig.subarray(0, 63), signDocBytes(tx, "test-chain", 7n), pubKey)).toBe(false);
  });

  it("rejects a high-s signature (malleated) as Cosmos does", () => {
    const tx = decodeTx(signed);
    const sig = tx.signatures[0]!;
    const n = BigInt("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
    const s = BigInt(`0x${Buffer.from(sig.subarray(32)).toString("hex")}`);
    const high = Uint8Array.from([
      ...sig.subarray(0, 32),
      ...Buffer.from((n - s).toString(16).padStart(64, "0"), "hex"),
    ]);
    expect(verifySecp256k1(high, signDocBytes(tx, "test-chain", 7n), pubKey)).toBe(false);
  });

  it("answers empty and oversized input with codes 2 and 21", () => {
    expect(decodeOrCode(new Uint8Array())).toBe(2);
    expect(decodeOrCode(new Uint8Array(MAX_TX_BYTES + 1))).toBe(21);
  });

  it("never throws anything but its decode error on random bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        expect(["ok", 2]).toContain(decodeOrCode(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it("never throws anything but its decode error on corrupted signed txs", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.nat(),
        (edits, cut) => {
          const bytes = Uint8Array.from(signed);
          for (const [at, value] of edits) bytes[at % bytes.length] = value;
          const truncated = bytes.subarray(0, bytes.length - (cut % 16));
          expect(["ok", 2]).toContain(decodeOrCode(truncated));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("the native and pure-JS secp256k1 verifiers", () => {
  it("agree on valid, tampered, high-s and garbage signatures", async () => {
    const { secp256k1 } = await import("@noble/curves/secp256k1.js");
    const { sha256 } = await import("../../src/core/index.js");
    const { verifySecp256k1Noble } = await import("../../src/app/tx.js");
    const n = BigInt("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((k) => k.some((b) => b !== 0)),
        fc.uint8Array({ maxLength: 100 }),
        fc.integer({ min: 0, max: 4 }),
        fc.nat(),
        (priv, message, mutation, at) => {
          let key: Uint8Array;
          try {
            key = secp256k1.getPublicKey(priv, true);
          } catch {
            return;
          }
          let sig = secp256k1.sign(sha256(message), priv, { prehash: false });
          if (mutation === 1) sig[at % 64]! ^= 1 << (at % 8);
          if (mutation === 2) {
            const s = BigInt(`0x${Buffer.from(sig.subarray(32)).toString("hex")}`);
            sig = Uint8Array.from([
              ...sig.subarray(0, 32),
              ...Buffer.from((n - s).toString(16).padStart(64, "0"), "hex"),
            ]);
          }
          if (mutation === 3) key = Uint8Array.from(key, (b, i) => (i === 1 + (at % 32) ? b ^ 1 : b));
          if (mutation === 4) sig = new Uint8Array(64).fill(at % 256);
          expect(verifySecp256k1(sig, message, key)).toBe(verifySecp256k1Noble(sig, message, key));
          if (mutation === 0) expect(verifySecp256k1(sig, message, key)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
