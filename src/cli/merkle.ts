import { readFileSync } from "node:fs";
import { z } from "zod";
import {
  auditPath,
  buildLevels,
  DecodeError,
  decodeVector,
  fromBase64,
  HASH_SIZE,
  leafHash,
  levelNodes,
  merkleRoot,
  toBase64,
  verifyInclusion,
} from "../core/index.js";
import { CommandError, intFlag, parseFlags, printJson, requireString, UsageError } from "./args.js";
import { readArtifactsFile } from "./artifacts-file.js";

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

/** `pocval merkle root|prove|verify`: always one JSON object. */
export async function run(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  const kDimFlag = { "k-dim": { type: "string" as const } };
  if (sub === "root") {
    const { values } = parseFlags(rest, { artifacts: { type: "string" }, ...kDimFlag });
    const kDim = intFlag(values, "k-dim", { min: 1, default: 12 });
    const { count, nodes } = await loadTree(requireString(values, "artifacts"), kDim);
    printJson({ count, root_hash: toBase64(merkleRoot(nodes, count)) });
    return;
  }
  if (sub === "prove") {
    const { values } = parseFlags(rest, { artifacts: { type: "string" }, index: { type: "string" }, ...kDimFlag });
    const kDim = intFlag(values, "k-dim", { min: 1, default: 12 });
    const path = requireString(values, "artifacts");
    const index = intFlag(values, "index", { min: 0 });
    const { count, artifacts, nodes } = await loadTree(path, kDim);
    if (index >= count) throw new UsageError(`--index ${index} is outside the ${count} leaves of ${path}`);
    const leaf = artifacts[index]!;
    printJson({
      leaf_index: index,
      nonce: leaf.nonce,
      vector_b64: toBase64(leaf.vectorBytes),
      audit_path: auditPath(nodes, index, count).map(toBase64),
    });
    return;
  }
  if (sub === "verify") {
    const { values } = parseFlags(rest, {
      "root-hash": { type: "string" },
      count: { type: "string" },
      proof: { type: "string" },
      ...kDimFlag,
    });
    const kDim = intFlag(values, "k-dim", { min: 1, default: 12 });
    const count = intFlag(values, "count", { min: 1 });
    let root: Uint8Array;
    try {
      root = fromBase64(requireString(values, "root-hash"), "--root-hash");
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if (root.length !== HASH_SIZE) throw new UsageError(`--root-hash must be 32 bytes, got ${root.length}`);
    const path = requireString(values, "proof");
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, "utf8"));
    } catch (err) {
      throw new CommandError(`cannot read proof file ${path}: ${(err as Error).message}`);
    }
    const parsed = proofFile.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new CommandError(`${path}: ${issue.path.join(".") || "proof"}: ${issue.message}`);
    }
    const proof = parsed.data;
    try {
      const vector = fromBase64(proof.vector_b64, "vector_b64");
      decodeVector(vector, kDim, "vector_b64");
      const audit = proof.audit_path.map((p, i) => fromBase64(p, `audit_path[${i}]`));
      const valid =
        proof.nonce === proof.leaf_index &&
        verifyInclusion(leafHash(proof.nonce, vector), proof.leaf_index, count, audit, root);
      printJson({ valid });
    } catch (err) {
      if (err instanceof DecodeError) throw new CommandError(`${path}: ${err.message}`);
      throw err;
    }
    return;
  }
  throw new UsageError(
    `merkle: expected "root", "prove" or "verify", got ${sub === undefined ? "nothing" : `"${sub}"`}`,
  );
}
