// Test fixtures for the sidecar: artifact trees built with src/core, and small loopback proof
// servers. The honest one answers as docs/protocol.md says; the faulty ones are deliberately faulty.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import {
  addressFromPubKey,
  auditPath,
  buildLevels,
  concatBytes,
  encodeVector,
  type LeafProof,
  leafHash,
  levelNodes,
  merkleRoot,
  type ProofRequest,
  proofRequestSchema,
  sha256,
  signProofAnswer,
  toBase64,
  verifyProofRequest,
} from "../../src/core/index.js";

export const TEST_MNEMONIC =
  "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

/** One committed leaf: the nonce it claims and its raw vector bytes. */
export interface TestLeaf {
  nonce: number;
  bytes: Uint8Array;
}

export interface TestTree {
  count: number;
  root: Uint8Array;
  leaves: TestLeaf[];
  proof(index: number): LeafProof;
}

/** The RFC 9162 tree over the leaves, with proofs as the proof API serves them. */
export function buildTree(leaves: TestLeaf[]): TestTree {
  const levels = buildLevels(concatBytes(...leaves.map((l) => leafHash(l.nonce, l.bytes))));
  const nodes = levelNodes(levels);
  const count = leaves.length;
  return {
    count,
    root: merkleRoot(nodes, count),
    leaves,
    proof: (index) => ({
      leaf_index: index,
      nonce: leaves[index]!.nonce,
      vector_b64: toBase64(leaves[index]!.bytes),
      audit_path: auditPath(nodes, index, count).map(toBase64),
    }),
  };
}

/** Leaves i = 0..count-1 holding nonce i and the vector vectorOf(i). */
export function honestLeaves(count: number, vectorOf: (i: number) => ArrayLike<number>): TestLeaf[] {
  return Array.from({ length: count }, (_, i) => ({ nonce: i, bytes: encodeVector(vectorOf(i)) }));
}

/** A deterministic unit-ish vector for tests (not a backend's). */
export function testVector(i: number, kDim = 12): Float64Array {
  const v = new Float64Array(kDim);
  for (let j = 0; j < kDim; j++) v[j] = Math.sin(i * 7.1 + j * 1.3) / Math.sqrt(kDim / 2);
  return v;
}

export interface StubServer {
  url: string;
  requests: ProofRequest[];
  rawRequests: number;
  stop(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * A loopback HTTP server whose POST /pocval/v1/proofs is answered by `answer`; it validates and
 * verifies the signed request first (400/401 otherwise) and records it.
 */
export async function startProofStub(
  answer: (req: ProofRequest, res: ServerResponse, n: number) => unknown,
  opts: { verifySignature?: boolean } = {},
): Promise<StubServer> {
  const stub: StubServer = { url: "", requests: [], rawRequests: 0, stop: async () => undefined };
  const server = createServer((req, res) => {
    void (async () => {
      stub.rawRequests++;
      if (req.method !== "POST" || req.url !== "/pocval/v1/proofs") {
        res.writeHead(404).end();
        return;
      }
      const parsed = proofRequestSchema.safeParse(JSON.parse(await readBody(req)));
      if (!parsed.success) {
        res.writeHead(400).end(JSON.stringify({ error: parsed.error.message }));
        return;
      }
      if (opts.verifySignature !== false) {
        const check = verifyProofRequest(parsed.data, "pocval", BigInt(Date.now()) * 1_000_000n);
        if (!check.ok) {
          res.writeHead(401).end(JSON.stringify({ error: check.reason }));
          return;
        }
      }
      stub.requests.push(parsed.data);
      await answer(parsed.data, res, stub.requests.length);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  stub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  stub.stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return stub;
}

/** A participant account for stubs: its key signs answers, its address is what validators check. */
export function testParticipant(name = "participant"): { privateKey: Uint8Array; address: string } {
  const privateKey = sha256(new TextEncoder().encode(`pocval test participant ${name}`));
  return { privateKey, address: addressFromPubKey(secp256k1.getPublicKey(privateKey, true), "pocval") };
}
export const TEST_PARTICIPANT = testParticipant();

/** A 200 answer body to `req` as docs/protocol.md "Signed proof answers" says, signed with `privateKey`. */
export function signedAnswer(
  req: ProofRequest,
  proofs: readonly unknown[],
  privateKey: Uint8Array = TEST_PARTICIPANT.privateKey,
): string {
  return JSON.stringify(
    signProofAnswer(
      {
        stage_height: req.stage_height,
        count: req.count,
        root_hash: req.root_hash,
        validator_address: req.validator_address,
        timestamp_ns: req.timestamp_ns,
        proofs: proofs as LeafProof[],
      },
      privateKey,
    ),
  );
}

/** Answers the requested leaves of a tree honestly, signed with `privateKey`. */
export function honestAnswer(tree: TestTree, privateKey: Uint8Array = TEST_PARTICIPANT.privateKey) {
  return (req: ProofRequest, res: ServerResponse) => {
    const proofs = req.leaf_indices.map((i) => tree.proof(i));
    res.writeHead(200, { "content-type": "application/json" }).end(signedAnswer(req, proofs, privateKey));
  };
}
