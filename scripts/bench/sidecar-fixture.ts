// The sidecar benchmark's other side, run in child processes so that their CPU time is not
// counted as the sidecar's: `backend` starts a reference backend capped at a known rate;
// `proofs` starts one loopback proof server per participant serving an honest tree (vectors of
// another FP8 profile). Each prints one JSON line describing itself, then serves until stdin
// closes. Separate processes, so that serving proofs does not slow the backend down.
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { DEFAULT_POC_PARAMS, referenceVector, startReferenceBackend } from "../../src/backend/index.js";
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
  proofRequestSchema,
  signProofAnswer,
  toBase64,
} from "../../src/core/index.js";

const [role, ...args] = process.argv.slice(2);
const [participants, count, rate, seed] = args.map(Number) as [number, number, number, number];
const generationSeed = seed.toString(16).padStart(2, "0").repeat(32);
if (role === "backend") {
  const backend = await startReferenceBackend({ profile: "h100-fp8", noncesPerSecond: rate, queueLimit: 1000 });
  process.stdout.write(`${JSON.stringify({ backendUrl: backend.url })}\n`);
  process.stdin.resume();
  process.stdin.on("end", async () => {
    await backend.stop();
    process.exit(0);
  });
} else {
  await serveProofs();
}

async function serveProofs(): Promise<void> {
  const servers: ReturnType<typeof createServer>[] = [];
  const described: { address: string; pocPublicKey: string; proofApiUrl: string; count: number; rootHash: string }[] =
    [];
  for (let p = 0; p < participants; p++) {
    const pocPublicKey = `bench-participant-${p}`;
    const vectors = Array.from({ length: count }, (_, nonce) =>
      encodeVector(
        referenceVector({
          blockHash: generationSeed,
          publicKey: pocPublicKey,
          nonce,
          ...DEFAULT_POC_PARAMS,
          profile: "b200-fp8",
        }),
      ),
    );
    const nodes = levelNodes(buildLevels(concatBytes(...vectors.map((v, i) => leafHash(i, v)))));
    // Each leaf's proof built once; the answer is signed by the participant's key (docs/protocol.md
    // "Signed proof answers") in this process, so the signing is not counted as the sidecar's CPU.
    const leaves: LeafProof[] = vectors.map((v, i) => ({
      leaf_index: i,
      nonce: i,
      vector_b64: toBase64(v),
      audit_path: auditPath(nodes, i, count).map(toBase64),
    }));
    const privateKey = new Uint8Array(createHash("sha256").update(`pocval bench participant ${p}`).digest());
    const address = addressFromPubKey(secp256k1.getPublicKey(privateKey, true), "pocval");
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = proofRequestSchema.safeParse(JSON.parse(Buffer.concat(chunks).toString("utf8")));
        if (!body.success) {
          res.writeHead(400).end();
          return;
        }
        const req = body.data;
        const answer = signProofAnswer(
          {
            stage_height: req.stage_height,
            count: req.count,
            root_hash: req.root_hash,
            validator_address: req.validator_address,
            timestamp_ns: req.timestamp_ns,
            proofs: req.leaf_indices.map((i) => leaves[i]!),
          },
          privateKey,
        );
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    servers.push(server);
    described.push({
      address,
      pocPublicKey,
      proofApiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      count,
      rootHash: toBase64(merkleRoot(nodes, count)),
    });
  }
  process.stdout.write(`${JSON.stringify({ generationSeed, participants: described })}\n`);
  process.stdin.resume();
  process.stdin.on("end", () => {
    for (const s of servers) s.closeAllConnections();
    process.exit(0);
  });
}
