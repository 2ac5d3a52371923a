// `pocval merkle`: artifact Merkle roots and proofs from the command line.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { fromBase64, toBase64 } from "../core/encoding.js";
import { DecodeError } from "../core/errors.js";
import {
  auditPath,
  buildLevels,
  HASH_SIZE,
  leafHash,
  levelNodes,
  merkleRoot,
  verifyInclusion,
} from "../core/merkle.js";
import { decodeVector } from "../core/vector.js";
import { intFlag, printJson, requireString, UsageError } from "./args.js";
import { readArtifactsFile } from "./artifacts-file.js";
import { command, group } from "./command.js";

const proofFile = z.strictObject({
  leaf_index: z.number().int().nonnegative(),
  nonce: z.number().int().nonnegative(),
  vector_b64: z.string(),
  audit_path: z.array(z.string()),
});

async function loadTree(path: string, kDim: number) {
  const hashes: Uint8Array[] = [];
  const artifacts: { nonce: number; vectorBytes: Uint8Array }[] = [];
  const count = await readArtifactsFile(path, kDim, (artifact) => {
    hashes.push(leafHash(artifact.nonce, artifact.vectorBytes));
    artifacts.push(artifact);
  });
  const flat = new Uint8Array(count * HASH_SIZE);
  for (const [i, h] of hashes.entries()) flat.set(h, i * HASH_SIZE);
  return { count, artifacts, nodes: levelNodes(buildLevels(flat)) };
}

const kDim = { type: "string", arg: "K", help: "vector dimension (default 12)" } as const;
const artifacts = {
  type: "string",
  arg: "FILE",
  help: "JSONL of {nonce, vector_b64}, one artifact per line in leaf order",
  required: true,
} as const;

/** `pocval merkle root|prove|verify`: always one JSON object. */
export default group("merkle", {
  root: command({
    summary: "the Merkle root of an artifacts file: prints {count, root_hash} (base64)",
    flags: { artifacts, "k-dim": kDim },
    async run(values) {
      const { count, nodes } = await loadTree(
        requireString(values, "artifacts"),
        intFlag(values, "k-dim", { min: 1, default: 12 }),
      );
      printJson({ count, root_hash: toBase64(merkleRoot(nodes, count)) });
    },
  }),
  prove: command({
    summary: "an inclusion proof of one leaf: prints {leaf_index, nonce, vector_b64, audit_path}",
    flags: { artifacts, index: { type: "string", arg: "I", help: "the leaf index", required: true }, "k-dim": kDim },
    async run(values) {
      const dim = intFlag(values, "k-dim", { min: 1, default: 12 });
      const path = requireString(values, "artifacts");
      const index = intFlag(values, "index", { min: 0 });
      const { count, artifacts, nodes } = await loadTree(path, dim);
      if (index >= count) throw new UsageError(`--index ${index} is outside the ${count} leaves of ${path}`);
      const leaf = artifacts[index]!;
      printJson({
        leaf_index: index,
        nonce: leaf.nonce,
        vector_b64: toBase64(leaf.vectorBytes),
        audit_path: auditPath(nodes, index, count).map(toBase64),
      });
    },
  }),
  verify: command({
    summary: "checks a proof as `merkle prove` prints it against a root: prints {valid}",
    flags: {
      "root-hash": { type: "string", arg: "B64", help: "the committed root, 32 bytes in base64", required: true },
      count: { type: "string", arg: "N", help: "the committed leaf count", required: true },
      proof: { type: "string", arg: "FILE", help: "a JSON proof object", required: true },
      "k-dim": kDim,
    },
    run(values) {
      const dim = intFlag(values, "k-dim", { min: 1, default: 12 });
      const count = intFlag(values, "count", { min: 1 });
      let root: Uint8Array;
      try {
        root = fromBase64(requireString(values, "root-hash"), "--root-hash");
      } catch (err) {
        throw new UsageError((err as Error).message, { cause: err });
      }
      if (root.length !== HASH_SIZE) throw new UsageError(`--root-hash must be 32 bytes, got ${root.length}`);
      const path = requireString(values, "proof");
      let raw: unknown;
      try {
        raw = JSON.parse(readFileSync(path, "utf8"));
      } catch (err) {
        throw new UsageError(`cannot read proof file ${path}: ${(err as Error).message}`, { cause: err });
      }
      const parsed = proofFile.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new UsageError(`${path}: ${issue.path.join(".") || "proof"}: ${issue.message}`);
      }
      const proof = parsed.data;
      try {
        const vector = fromBase64(proof.vector_b64, "vector_b64");
        decodeVector(vector, dim, "vector_b64");
        const audit = proof.audit_path.map((p, i) => fromBase64(p, `audit_path[${i}]`));
        const valid =
          proof.nonce === proof.leaf_index &&
          verifyInclusion(leafHash(proof.nonce, vector), proof.leaf_index, count, audit, root);
        printJson({ valid });
      } catch (err) {
        if (err instanceof DecodeError) throw new UsageError(`${path}: ${err.message}`, { cause: err });
        throw err;
      }
    },
  }),
});
