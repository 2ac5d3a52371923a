// The sidecar benchmark's other side, run in child processes so that their CPU time is not
// counted as the sidecar's: `backend` starts a reference backend capped at a known rate;
// `proofs` starts one loopback proof server per participant serving an honest tree (vectors of
// another FP8 profile). Each prints one JSON line describing itself, then serves until stdin
// closes. Separate processes, so that serving proofs does not slow the backend down.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { DEFAULT_POC_PARAMS, referenceVector, startReferenceBackend } from "../../src/backend/index.js";
import {
  auditPath,
  buildLevels,
  concatBytes,
  encodeVector,
  leafHash,
  levelNodes,
  merkleRoot,
  proofRequestSchema,
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
    // Each leaf's proof as JSON text, built once: serving costs little CPU, which the sidecar needs.
    const leafJson = vectors.map((v, i) =>
      JSON.stringify({
        leaf_index: i,
        nonce: i,
        vector_b64: toBase64(v),
        audit_path: auditPath(nodes, i, count).map(toBase64),
      }),
    );
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = proofRequestSchema.safeParse(JSON.parse(Buffer.concat(chunks).toString("utf8")));
        if (!body.success) {
          res.writeHead(400).end();
          return;
        }
        const proofs = body.data.leaf_indices.map((i) => leafJson[i]!).join(",");
        res.writeHead(200, { "content-type": "application/json" }).end(`{"proofs":[${proofs}]}`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    servers.push(server);
    described.push({
      address: `pocval1benchparticipant${p}`,
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
