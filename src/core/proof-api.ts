// The participant proof API's wire format (docs/protocol.md): request and answer schemas, the
// signed request bytes, and its limits. Shared by the server and the client; no I/O.
import { toBech32 } from "@cosmjs/encoding";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { ripemd160 } from "@noble/hashes/legacy.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { z } from "zod";
import { fromBase64, toBase64, toHex } from "./encoding.js";
import { EVM_ADDRESS_PATTERN } from "./evm-address.js";
import { sha256 } from "./hash.js";

/** At most this many leaf indices per proof request (docs/protocol.md). */
export const MAX_LEAF_INDICES = 500;
/** Requests whose timestamp is further than this from the server's clock are refused. */
export const TIMESTAMP_TOLERANCE_NS = 5n * 60n * 1_000_000_000n;

const base64 = z.string().max(100_000);
const base64Of = (bytes: number) =>
  base64.refine((s) => {
    try {
      return fromBase64(s, "").length === bytes;
    } catch {
      return false;
    }
  }, `must be standard base64 of ${bytes} bytes`);
const height = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/** `GET /pocval/v1/state?stage_height=S` answer. */
export const stateResponseSchema = z.strictObject({
  stage_height: height,
  count: height,
  root_hash: base64Of(32),
});
export type StateResponse = z.infer<typeof stateResponseSchema>;

/** `POST /pocval/v1/proofs` request body. */
export const proofRequestSchema = z.strictObject({
  stage_height: height,
  count: height.min(1),
  root_hash: base64Of(32),
  leaf_indices: z.array(height).min(1).max(MAX_LEAF_INDICES),
  validator_address: z.string().min(1).max(256),
  /** Version 2 (replay safety): the participant the request is meant for; it is signed. */
  participant_address: z.string().min(1).max(256),
  timestamp_ns: z.string().regex(/^\d{1,20}$/, "must be a decimal string of nanoseconds"),
  pub_key: base64Of(33),
  signature: base64Of(64),
});
export type ProofRequest = z.infer<typeof proofRequestSchema>;
export type UnsignedProofRequest = Omit<ProofRequest, "signature">;

/** One served leaf with its RFC 9162 audit path. */
export const leafProofSchema = z.strictObject({
  leaf_index: height,
  nonce: height,
  vector_b64: base64,
  audit_path: z.array(base64Of(32)).max(64),
});
export type LeafProof = z.infer<typeof leafProofSchema>;

/** `POST /pocval/v1/proofs` answer (the vectors are decoded and checked by the verifier). */
export const proofResponseSchema = z.strictObject({ proofs: z.array(leafProofSchema).max(MAX_LEAF_INDICES) });
export type ProofResponse = z.infer<typeof proofResponseSchema>;

/**
 * The signed bytes: UTF-8 JSON of the request without `signature`, keys sorted, no whitespace.
 * @example proofRequestSignBytes({count: 1, leaf_indices: [0], ...}) // '{"count":1,"leaf_indices":[0],...}'
 */
export function proofRequestSignBytes(request: UnsignedProofRequest): Uint8Array {
  const ordered = {
    count: request.count,
    leaf_indices: request.leaf_indices,
    participant_address: request.participant_address,
    pub_key: request.pub_key,
    root_hash: request.root_hash,
    stage_height: request.stage_height,
    timestamp_ns: request.timestamp_ns,
    validator_address: request.validator_address,
  };
  return new TextEncoder().encode(JSON.stringify(ordered));
}

/**
 * The "prefix" that names EVM addresses (docs/protocol.md "EVM binding"): wherever pocval takes a
 * bech32 prefix to derive or check an account address, this one means the 20-byte EVM address.
 */
export const EVM_ADDRESS_PREFIX = "0x";

/**
 * The account address of a secp256k1 key: bech32(prefix, RIPEMD160(SHA256(key)))
 * of the compressed key on Cosmos; with EVM_ADDRESS_PREFIX, the EVM address (the last 20 bytes of Keccak-256 of the
 * uncompressed key) as lower-case 0x hex, how the EVM binding spells addresses in seeds and requests.
 */
export function addressFromPubKey(pubKey: Uint8Array, prefix: string): string {
  if (prefix === EVM_ADDRESS_PREFIX) {
    const uncompressed = secp256k1.Point.fromBytes(pubKey).toBytes(false);
    return `0x${toHex(keccak_256(uncompressed.subarray(1)).subarray(12))}`;
  }
  return toBech32(prefix, ripemd160(sha256(pubKey)));
}

/** The address prefix an address carries: EVM_ADDRESS_PREFIX for 0x hex, the bech32 human-readable part otherwise. */
export function addressPrefixOf(address: string): string {
  if (EVM_ADDRESS_PATTERN.test(address)) return EVM_ADDRESS_PREFIX;
  return address.slice(0, Math.max(0, address.lastIndexOf("1")));
}

/** Signs a proof request as Cosmos signs: secp256k1 over SHA-256 of the sign bytes, r||s with low s. */
export function signProofRequest(request: Omit<UnsignedProofRequest, "pub_key">, privateKey: Uint8Array): ProofRequest {
  const pubKey = secp256k1.getPublicKey(privateKey, true);
  const unsigned: UnsignedProofRequest = { ...request, pub_key: toBase64(pubKey) };
  const digest = sha256(proofRequestSignBytes(unsigned));
  const signature = secp256k1.sign(digest, privateKey, { prehash: false, lowS: true });
  return { ...unsigned, signature: toBase64(signature) };
}

export type ProofRequestCheck = { ok: true } | { ok: false; reason: string };

/**
 * Checks that a (schema-valid) request's pub_key derives validator_address, its signature, and
 * that its timestamp lies within TIMESTAMP_TOLERANCE_NS of nowNs. The participant it names, bonding
 * and rate limits are the server's business.
 */
export function verifyProofRequest(request: ProofRequest, prefix: string, nowNs: bigint): ProofRequestCheck {
  const pubKey = fromBase64(request.pub_key, "pub_key");
  let derived: string;
  try {
    derived = addressFromPubKey(pubKey, prefix);
  } catch {
    return { ok: false, reason: "pub_key does not encode an address" };
  }
  if (derived !== request.validator_address) {
    return { ok: false, reason: `pub_key derives ${derived}, not validator_address ${request.validator_address}` };
  }
  const { signature, ...unsigned } = request;
  const digest = sha256(proofRequestSignBytes(unsigned));
  let valid = false;
  try {
    valid = secp256k1.verify(fromBase64(signature, "signature"), digest, pubKey, { prehash: false, lowS: true });
  } catch {
    valid = false;
  }
  if (!valid) return { ok: false, reason: "signature does not verify" };
  const skew = BigInt(request.timestamp_ns) - nowNs;
  if (skew > TIMESTAMP_TOLERANCE_NS || -skew > TIMESTAMP_TOLERANCE_NS) {
    return { ok: false, reason: "timestamp_ns is more than 5 minutes off the server's clock" };
  }
  return { ok: true };
}
