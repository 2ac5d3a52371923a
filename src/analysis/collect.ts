import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type BackendClientOptions, createBackendClient } from "../backend/index.js";
import type { CollectConfig } from "./dataset.js";

/** Raised when some servers could not be collected; the others' files are written already. */
export class CollectError extends Error {
  override name = "CollectError";
  constructor(
    readonly failures: { server: string; error: Error }[],
    readonly written: string[],
  ) {
    super(
      `${failures.length} server(s) failed: ${failures.map((f) => `${f.server}: ${f.error.message}`).join("; ")}` +
        (written.length > 0 ? ` (wrote ${written.length} files for the others)` : ""),
      { cause: failures[0]?.error },
    );
  }
}

/** Progress of one server after each batch. */
export interface CollectProgress {
  server: string;
  done: number;
  total: number;
}

export interface CollectOptions {
  config: CollectConfig;
  outDir: string;
  onProgress?: (p: CollectProgress) => void;
  /** Client settings beyond the URL and batch size (timeouts, retries). */
  client?: Omit<BackendClientOptions, "url" | "batchSize">;
  signal?: AbortSignal;
}

/** The one server file of the data collection format (docs/protocol.md), as `pocval calibrate` reads it. */
export interface CollectedServerFile {
  server_name: string;
  server_url: string;
  block_hash: string;
  public_key: string;
  block_height: number;
  nonces: number[];
  artifacts: { nonce: number; vector_b64: string }[];
  vectors: number[][];
  encoding: { dtype: "f16"; k_dim: number; endian: "le" };
}

// Names that would overwrite the files written beside the server files.
const RESERVED = new Set(["config", "calibration"]);

/** The file name of a server's data: its name with anything but [A-Za-z0-9._-] replaced. */
export function serverFileName(server: string): string {
  return `${server.replace(/[^A-Za-z0-9._-]/g, "_")}.json`;
}

async function collectServer(
  name: string,
  url: string,
  config: CollectConfig,
  opts: CollectOptions,
): Promise<CollectedServerFile> {
  const client = createBackendClient({ ...opts.client, url, batchSize: config.batch_size });
  const params = { model: config.model, seqLen: config.seq_len, kDim: config.k_dim };
  const file: CollectedServerFile = {
    server_name: name,
    server_url: url,
    block_hash: config.block_hash,
    public_key: config.public_key,
    block_height: config.block_height,
    nonces: [],
    artifacts: [],
    vectors: [],
    encoding: { dtype: "f16", k_dim: config.k_dim, endian: "le" },
  };
  // One request per batch so that progress moves as batches complete.
  for (let start = 0; start < config.nonce_count; start += config.batch_size) {
    const nonces = Array.from({ length: Math.min(config.batch_size, config.nonce_count - start) }, (_, i) => start + i);
    const artifacts = await client.generate(
      { blockHash: config.block_hash, blockHeight: config.block_height, publicKey: config.public_key, nonces, params },
      { signal: opts.signal },
    );
    for (const a of artifacts) {
      file.nonces.push(a.nonce);
      file.artifacts.push({ nonce: a.nonce, vector_b64: a.vectorB64 });
      file.vectors.push(Array.from(a.vector));
    }
    opts.onProgress?.({ server: name, done: file.nonces.length, total: config.nonce_count });
  }
  return file;
}

/**
 * Collects vectors for nonces 0..nonce_count-1 from every server of the config, in parallel
 * across servers, and writes `<server>.json` per server plus `config.json` into outDir.
 * A server that fails does not stop the others: their files are written, then a CollectError
 * names the failures.
 */
export async function collect(opts: CollectOptions): Promise<string[]> {
  const { config, outDir } = opts;
  const names = Object.keys(config.servers);
  const files = new Map<string, string>();
  for (const name of names) {
    const file = serverFileName(name);
    if (RESERVED.has(file.replace(/\.json$/, "").toLowerCase())) {
      throw new CollectError([{ server: name, error: new Error(`the name "${name}" is reserved for ${file}`) }], []);
    }
    const clash = [...files].find(([, f]) => f === file);
    if (clash) {
      throw new CollectError([{ server: name, error: new Error(`writes ${file} like server "${clash[0]}"`) }], []);
    }
    files.set(name, file);
  }
  await mkdir(outDir, { recursive: true });
  const results = await Promise.allSettled(names.map((n) => collectServer(n, config.servers[n]!, config, opts)));
  const written: string[] = [];
  const failures: { server: string; error: Error }[] = [];
  for (const [i, r] of results.entries()) {
    const name = names[i]!;
    if (r.status === "rejected") {
      failures.push({ server: name, error: r.reason instanceof Error ? r.reason : new Error(String(r.reason)) });
      continue;
    }
    const path = join(outDir, files.get(name)!);
    await writeFile(path, `${JSON.stringify(r.value)}\n`);
    written.push(path);
  }
  const configPath = join(outDir, "config.json");
  await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`);
  written.push(configPath);
  if (failures.length > 0) throw new CollectError(failures, written);
  return written;
}
