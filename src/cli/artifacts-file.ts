// Reads the JSONL artifacts file the merkle commands take, line by line.
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { z } from "zod";
import { fromBase64 } from "../core/encoding.js";
import { DecodeError } from "../core/errors.js";
import { decodeVector } from "../core/vector.js";
import { UsageError } from "./args.js";

const artifactLine = z.strictObject({
  nonce: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  vector_b64: z.string(),
});

export interface ArtifactRecord {
  nonce: number;
  vectorBytes: Uint8Array;
}

/**
 * Reads a JSONL artifacts file ({nonce, vector_b64} per line, in leaf order), calling onArtifact
 * for each; an unreadable file or a bad line is a UsageError (bad input, exit 2) naming the file
 * and the line number.
 */
export async function readArtifactsFile(
  path: string,
  kDim: number,
  onArtifact: (artifact: ArtifactRecord, leafIndex: number) => void,
): Promise<number> {
  const stream = createReadStream(path);
  const opened = new Promise<void>((resolve, reject) => {
    stream.once("open", () => resolve());
    stream.once("error", (err) =>
      reject(new UsageError(`cannot read artifacts file ${path}: ${err.message}`, { cause: err })),
    );
  });
  await opened;
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNumber = 0;
  let leafIndex = 0;
  for await (const line of lines) {
    lineNumber++;
    if (line.trim() === "") continue;
    const where = `${path}:${lineNumber}`;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (err) {
      throw new UsageError(`${where}: not valid JSON`, { cause: err });
    }
    const parsed = artifactLine.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new UsageError(`${where}: ${issue.path.join(".") || "line"}: ${issue.message}`);
    }
    let vectorBytes: Uint8Array;
    try {
      vectorBytes = fromBase64(parsed.data.vector_b64, "vector_b64");
      decodeVector(vectorBytes, kDim, "vector_b64");
    } catch (err) {
      if (err instanceof DecodeError) throw new UsageError(`${where}: ${err.message}`, { cause: err });
      throw err;
    }
    onArtifact({ nonce: parsed.data.nonce, vectorBytes }, leafIndex);
    leafIndex++;
  }
  if (leafIndex === 0) throw new UsageError(`${path}: no artifacts (the empty tree is not committable)`);
  return leafIndex;
}
