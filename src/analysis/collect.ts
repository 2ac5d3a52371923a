// Data collection: vectors from every backend of a collect config, written in the real collection
// tool's file layout (one file per server and seed).
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type BackendClientOptions, createBackendClient } from "../backend/index.js";
import { PocvalError } from "../core/index.js";
import { type CollectConfig, configSeeds, isMultiSeed, type Seed } from "./dataset.js";

/**
 * Raised when some servers could not be collected; the others' files (and an error file per
 * failed server and seed, as the real tool leaves) are written already.
 */
export class CollectError extends PocvalError {
  override name = "CollectError";
  constructor(
    readonly failures: { server: string; error: Error; file?: string }[],
    readonly written: string[],
  ) {
    super(
      `${failures.length} server file(s) failed: ${failures.map((f) => `${f.server}${f.file ? ` (${f.file})` : ""}: ${f.error.message}`).join("; ")}` +
        (written.length > 0 ? ` (wrote ${written.length} files)` : ""),
      { cause: failures[0]?.error },
    );
  }
}

/** Progress of one server after each batch. */
export interface CollectProgress {
  server: string;
  /** The file being written (one per server and seed). */
  file: string;
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
  /** Resume a run in outDir: files that already hold artifacts are kept and not collected again. */
  resume?: boolean;
  /** Called for each file kept by `resume`. */
  onSkip?: (file: string) => void;
}

/** The one server file of the data collection format (docs/protocol.md), as the real tool writes it. */
export interface CollectedServerFile {
  server_name: string;
  server_url: string;
  block_hash: string;
  public_key: string;
  nonces: number[];
  artifacts: { nonce: number; vector_b64: string }[];
  vectors: number[][];
  encoding: { dtype: "f16"; k_dim: number; endian: "le" };
}

/** What the real tool leaves for a server that failed. */
export interface FailedCollectFile {
  server_name: string;
  server_url: string;
  block_hash: string;
  public_key: string;
  error: string;
}

// Names that would overwrite the files written beside the server files.
const RESERVED = new Set(["config", "calibration"]);

const safe = (s: string): string => s.replace(/[^A-Za-z0-9._-]/g, "_");

/**
 * The file name of a server's data: `<server>.json`, or `<server>_<block_hash>_<public_key>.json`
 * when the config names several seeds; anything but [A-Za-z0-9._-] replaced by `_`.
 */
export function serverFileName(server: string, seed?: Seed): string {
  return seed ? `${safe(server)}_${safe(seed.blockHash)}_${safe(seed.publicKey)}.json` : `${safe(server)}.json`;
}

async function collectServer(
  name: string,
  url: string,
  seed: Seed,
  fileName: string,
  config: CollectConfig,
  opts: CollectOptions,
): Promise<CollectedServerFile> {
  const client = createBackendClient({ ...opts.client, url, batchSize: config.batch_size });
  const params = { model: config.model, seqLen: config.seq_len, kDim: config.k_dim };
  const file: CollectedServerFile = {
    server_name: name,
    server_url: url,
    block_hash: seed.blockHash,
    public_key: seed.publicKey,
    nonces: [],
    artifacts: [],
    vectors: [],
    encoding: { dtype: "f16", k_dim: config.k_dim, endian: "le" },
  };
  // One request per batch so that progress moves as batches complete.
  for (let start = 0; start < config.nonce_count; start += config.batch_size) {
    const nonces = Array.from({ length: Math.min(config.batch_size, config.nonce_count - start) }, (_, i) => start + i);
    const artifacts = await client.generate(
      { blockHash: seed.blockHash, blockHeight: config.block_height, publicKey: seed.publicKey, nonces, params },
      { signal: opts.signal },
    );
    for (const a of artifacts) {
      file.nonces.push(a.nonce);
      file.artifacts.push({ nonce: a.nonce, vector_b64: a.vectorB64 });
      file.vectors.push(Array.from(a.vector));
    }
    opts.onProgress?.({ server: name, file: fileName, done: file.nonces.length, total: config.nonce_count });
  }
  return file;
}

/** True when the file exists and holds at least one artifact (a finished file for `resume`). */
async function holdsArtifacts(path: string): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return false;
  }
  try {
    const value = JSON.parse(text) as { artifacts?: unknown };
    return Array.isArray(value.artifacts) && value.artifacts.length > 0;
  } catch {
    // A file cut short by an interrupted run is collected again.
    return false;
  }
}

/**
 * Collects vectors for nonces 0..nonce_count-1 from every server of the config for every seed
 * (`block_hashes` x `public_keys`), servers in parallel and each server's seeds in turn, and
 * writes the real tool's layout into outDir: `config.json`, and per server and seed
 * `<server>.json` (one seed) or `<server>_<block_hash>_<public_key>.json` (several). A server
 * that fails leaves `{server_name, server_url, block_hash, public_key, error}` in its file and
 * does not stop the others; a CollectError then names the failures. With `resume`, files that
 * already hold artifacts are kept (error files and cut-short files are collected again).
 */
export async function collect(opts: CollectOptions): Promise<string[]> {
  const { config, outDir } = opts;
  const names = Object.keys(config.servers);
  const seeds = configSeeds(config);
  const multi = isMultiSeed(config);
  const jobs: { server: string; seed: Seed; file: string }[] = [];
  const owner = new Map<string, string>();
  for (const name of names) {
    if (RESERVED.has(safe(name).toLowerCase())) {
      throw new CollectError(
        [{ server: name, error: new Error(`the name "${name}" is reserved for ${safe(name)}.json`) }],
        [],
      );
    }
    for (const seed of seeds) {
      const file = serverFileName(name, multi ? seed : undefined);
      const clash = owner.get(file);
      if (clash !== undefined && clash !== name) {
        throw new CollectError([{ server: name, error: new Error(`writes ${file} like server "${clash}"`) }], []);
      }
      owner.set(file, name);
      jobs.push({ server: name, seed, file });
    }
  }
  await mkdir(outDir, { recursive: true });
  const written: string[] = [];
  const failures: { server: string; error: Error; file: string }[] = [];
  const runServer = async (name: string): Promise<void> => {
    const url = config.servers[name]!;
    for (const job of jobs.filter((j) => j.server === name)) {
      const path = join(outDir, job.file);
      if (opts.resume && (await holdsArtifacts(path))) {
        opts.onSkip?.(path);
        continue;
      }
      let content: CollectedServerFile | FailedCollectFile;
      try {
        content = await collectServer(name, url, job.seed, job.file, config, opts);
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        if (opts.signal?.aborted) throw error;
        failures.push({ server: name, error, file: job.file });
        content = {
          server_name: name,
          server_url: url,
          block_hash: job.seed.blockHash,
          public_key: job.seed.publicKey,
          error: error.message,
        };
      }
      await writeFile(path, `${JSON.stringify(content)}\n`);
      written.push(path);
    }
  };
  await Promise.all(names.map(runServer));
  const configPath = join(outDir, "config.json");
  await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`);
  written.push(configPath);
  if (failures.length > 0) throw new CollectError(failures, written);
  return written;
}
