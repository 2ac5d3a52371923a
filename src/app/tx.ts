// Standard Cosmos transactions: decoding with the exact signed bytes, and their hash.
import { createPublicKey, verify as cryptoVerify, type KeyObject } from "node:crypto";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import type { Coin } from "cosmjs-types/cosmos/base/v1beta1/coin";
import { PubKey } from "cosmjs-types/cosmos/crypto/secp256k1/keys";
import { SignMode } from "cosmjs-types/cosmos/tx/signing/v1beta1/signing";
import { AuthInfo, SignDoc, TxBody, TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import type { Any } from "cosmjs-types/google/protobuf/any";
import { BECH32_PREFIX } from "../chain/index.js";
import { addressFromPubKey, sha256 } from "../core/index.js";
import { SdkCode, sdkError } from "./errors.js";

/** Largest transaction the node accepts, in bytes (CheckTx answers code 21 above it). */
export const MAX_TX_BYTES = 1 << 20;
/** Largest memo, in characters (the SDK's default). */
export const MAX_MEMO_CHARS = 256;
export const SECP256K1_PUBKEY_TYPE_URL = "/cosmos.crypto.secp256k1.PubKey";

export interface TxSigner {
  /** Compressed secp256k1 key, undefined when the tx carries none (only simulation allows it). */
  pubKey: Uint8Array | undefined;
  sequence: bigint;
  mode: SignMode;
}

/** A decoded standard Cosmos transaction, with the exact bytes its signatures cover. */
export interface DecodedTx {
  bytes: Uint8Array;
  /** SHA-256 of the tx bytes, upper-case hex as CometBFT prints it. */
  hash: string;
  bodyBytes: Uint8Array;
  authInfoBytes: Uint8Array;
  signatures: Uint8Array[];
  messages: Any[];
  memo: string;
  timeoutHeight: bigint;
  fee: { amount: Coin[]; gasLimit: bigint; payer: string; granter: string };
  signers: TxSigner[];
}

/** Upper-case hex SHA-256 of tx bytes: the tx hash of CometBFT. */
export function txHash(bytes: Uint8Array): string {
  return Buffer.from(sha256(bytes)).toString("hex").toUpperCase();
}

/**
 * Decodes TxRaw bytes (or Tx bytes, which share its wire format) into body and auth info.
 * Throws a TxError with code 21 when too large and code 2 for anything that does not decode.
 */
export function decodeTx(bytes: Uint8Array): DecodedTx {
  if (bytes.length > MAX_TX_BYTES) {
    throw sdkError(SdkCode.txTooLarge, `tx size ${bytes.length} bytes exceeds the limit of ${MAX_TX_BYTES}`);
  }
  if (bytes.length === 0) throw sdkError(SdkCode.txDecode, "empty tx");
  let raw: TxRaw;
  let body: TxBody;
  let authInfo: AuthInfo;
  try {
    raw = TxRaw.decode(bytes);
    body = TxBody.decode(raw.bodyBytes);
    authInfo = AuthInfo.decode(raw.authInfoBytes);
  } catch (err) {
    throw sdkError(SdkCode.txDecode, `tx does not decode as cosmos.tx.v1beta1.TxRaw: ${(err as Error).message}`);
  }
  const signers = authInfo.signerInfos.map((info, i): TxSigner => {
    let pubKey: Uint8Array | undefined;
    if (info.publicKey) {
      if (info.publicKey.typeUrl !== SECP256K1_PUBKEY_TYPE_URL) {
        throw sdkError(SdkCode.txDecode, `signer ${i}: unsupported public key type ${info.publicKey.typeUrl}`);
      }
      try {
        pubKey = PubKey.decode(info.publicKey.value).key;
      } catch (err) {
        throw sdkError(SdkCode.txDecode, `signer ${i}: public key does not decode: ${(err as Error).message}`);
      }
      if (pubKey.length !== 33) {
        throw sdkError(SdkCode.txDecode, `signer ${i}: public key has ${pubKey.length} bytes, expected 33`);
      }
    }
    const mode = info.modeInfo?.single?.mode ?? SignMode.SIGN_MODE_UNSPECIFIED;
    return { pubKey, sequence: info.sequence, mode };
  });
  return {
    bytes,
    hash: txHash(bytes),
    bodyBytes: raw.bodyBytes,
    authInfoBytes: raw.authInfoBytes,
    signatures: raw.signatures,
    messages: body.messages,
    memo: body.memo,
    timeoutHeight: body.timeoutHeight,
    fee: {
      amount: authInfo.fee?.amount ?? [],
      gasLimit: authInfo.fee?.gasLimit ?? 0n,
      payer: authInfo.fee?.payer ?? "",
      granter: authInfo.fee?.granter ?? "",
    },
    signers,
  };
}

const addressCache = new Map<string, string>();

/** The account address of a compressed secp256k1 key (core's addressFromPubKey), cached for the ante handler. */
export function addressOfPubKey(pubKey: Uint8Array): string {
  const id = Buffer.from(pubKey).toString("hex");
  let address = addressCache.get(id);
  if (address === undefined) {
    address = addressFromPubKey(pubKey, BECH32_PREFIX);
    if (addressCache.size >= 4096) addressCache.clear();
    addressCache.set(id, address);
  }
  return address;
}

/** The SIGN_MODE_DIRECT sign bytes: the encoded SignDoc. */
export function signDocBytes(tx: DecodedTx, chainId: string, accountNumber: bigint): Uint8Array {
  return SignDoc.encode({
    bodyBytes: tx.bodyBytes,
    authInfoBytes: tx.authInfoBytes,
    chainId,
    accountNumber,
  }).finish();
}

/** The reference verifier (pure JS): 64-byte r||s, low s, over SHA-256(signBytes), as Cosmos signs. */
export function verifySecp256k1Noble(signature: Uint8Array, signBytes: Uint8Array, pubKey: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  try {
    return secp256k1.verify(signature, sha256(signBytes), pubKey, { prehash: false, lowS: true });
  } catch {
    return false;
  }
}

// DER SubjectPublicKeyInfo header of a compressed secp256k1 key (id-ecPublicKey, secp256k1).
const SPKI_PREFIX = Buffer.from("3036301006072a8648ce3d020106052b8104000a032200", "hex");
const HALF_N = BigInt("0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0");

// Parsing a key costs as much as verifying: keep the keys of recent signers (validators sign often).
const keyCache = new Map<string, KeyObject>();
const KEY_CACHE_SIZE = 4096;

function publicKeyObject(pubKey: Uint8Array): KeyObject {
  const id = Buffer.from(pubKey).toString("hex");
  let key = keyCache.get(id);
  if (!key) {
    key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pubKey]), format: "der", type: "spki" });
    if (keyCache.size >= KEY_CACHE_SIZE) keyCache.clear();
    keyCache.set(id, key);
  }
  return key;
}

function nativeVerify(signature: Uint8Array, signBytes: Uint8Array, pubKey: Uint8Array): boolean {
  if (signature.length !== 64 || pubKey.length !== 33) return false;
  // OpenSSL accepts high s; Cosmos does not (no malleable signatures).
  if (BigInt(`0x${Buffer.from(signature.subarray(32)).toString("hex")}`) > HALF_N) return false;
  try {
    return cryptoVerify("sha256", signBytes, { key: publicKeyObject(pubKey), dsaEncoding: "ieee-p1363" }, signature);
  } catch {
    return false;
  }
}

/** Whether this Node's OpenSSL has secp256k1 (FIPS builds may not): checked once against noble. */
const nativeAvailable = ((): boolean => {
  try {
    const priv = new Uint8Array(32).fill(1);
    const message = Uint8Array.of(1, 2, 3);
    const sig = secp256k1.sign(sha256(message), priv, { prehash: false });
    return nativeVerify(sig, message, secp256k1.getPublicKey(priv, true));
  } catch {
    return false;
  }
})();

/**
 * Verifies a 64-byte r||s low-s secp256k1 signature over SHA-256(signBytes), as Cosmos signs; uses
 * OpenSSL (2-5x faster than pure JS) where it has the curve, else noble. Both agree (tested).
 */
export function verifySecp256k1(signature: Uint8Array, signBytes: Uint8Array, pubKey: Uint8Array): boolean {
  return nativeAvailable
    ? nativeVerify(signature, signBytes, pubKey)
    : verifySecp256k1Noble(signature, signBytes, pubKey);
}
