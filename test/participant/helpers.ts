// Shared test helpers: temp dirs, deterministic vectors, and stores built from them.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { referenceVector } from "../../src/backend/profiles.js";
import {
  addressFromPubKey,
  buildLevels,
  encodeVector,
  leafHash,
  levelNodes,
  merkleRoot,
  type PerfectNodes,
} from "../../src/core/index.js";
import type { StageInputs, VectorBackend } from "../../src/participant/compute.js";

export function tempDir(prefix = "pocval-participant-"): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A cheap distinct vector per (nonce, salt): k_dim f16 values. */
export function testVector(nonce: number, kDim = 12, salt = 0): Uint8Array {
  const values = Array.from({ length: kDim }, (_, i) => Math.sin(nonce * 0.731 + i * 1.37 + salt) * 0.5);
  return encodeVector(values);
}

/** The in-memory tree over given artifacts, computed with src/core only. */
export function memoryTree(leaves: { nonce: number; vector: Uint8Array }[]): PerfectNodes {
  const hashes = new Uint8Array(leaves.length * 32);
  for (const [i, l] of leaves.entries()) hashes.set(leafHash(l.nonce, l.vector), i * 32);
  return levelNodes(buildLevels(hashes));
}

export function memoryRoot(leaves: { nonce: number; vector: Uint8Array }[], count = leaves.length): Uint8Array {
  return merkleRoot(memoryTree(leaves.slice(0, count)), count);
}

export const STAGE: StageInputs = {
  stageHeight: 40,
  generationSeed: "ab".repeat(32),
  model: "Qwen/Qwen3-235B-A22B-Instruct-2507-FP8",
  seqLen: 1024,
  kDim: 12,
};

/**
 * A backend computing in-process with the reference backend's profile function (the same pure
 * function `pocval backend start` serves), so strategy tests need no HTTP backend.
 */
export function profileBackend(profile: string, machineId: string): VectorBackend {
  return {
    generate: async (req) =>
      req.nonces.map((nonce) => ({
        nonce,
        vectorB64: Buffer.from(
          encodeVector(
            referenceVector({
              blockHash: req.blockHash,
              publicKey: req.publicKey,
              nonce,
              model: req.params.model,
              seqLen: req.params.seqLen,
              kDim: req.params.kDim,
              profile,
              machineId,
            }),
          ),
        ).toString("base64"),
      })),
  };
}

/** A participant account key for proof servers in tests: its private key and bech32 address. */
export function participantAccount(seed: number): { signingKey: Uint8Array; participantAddress: string } {
  const signingKey = new Uint8Array(32).fill(seed);
  return { signingKey, participantAddress: addressFromPubKey(secp256k1.getPublicKey(signingKey, true), "pocval") };
}
