// The calibration data set on disk: the collect config, server files and their validation
// (errors name the file and field).
import { readdir, readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { z } from "zod";
import { DecodeError, decodeVector, fromBase64, PocvalError, zodField } from "../core/index.js";

/** Raised for a data set file that cannot be used; names the file and the field at fault. */
export class DatasetError extends PocvalError {
  override name = "DatasetError";
  constructor(
    readonly file: string,
    readonly field: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${field ? `${field}: ` : ""}${message}`, options);
  }
}

const nonce = z.number().int().nonnegative().refine(Number.isSafeInteger, "must be a safe integer");

/**
 * The data collection config of docs/protocol.md (`config.json`, and `pocval collect --config`),
 * as the real tool writes it: seeds are arbitrary strings, `block_hash`/`public_key` may be
 * lists (`block_hashes`/`public_keys`), and unknown keys (e.g. `r_target`) are kept.
 */
export const collectConfigSchema = z
  .looseObject({
    model: z.string().min(1),
    seq_len: z.number().int().positive(),
    k_dim: z.number().int().positive().max(4096),
    block_hash: z.string().optional(),
    block_hashes: z.array(z.string()).min(1, "must list at least one block hash").optional(),
    public_key: z.string().optional(),
    public_keys: z.array(z.string()).min(1, "must list at least one public key").optional(),
    block_height: z.number().int().nonnegative(),
    batch_size: z.number().int().positive(),
    nonce_count: z.number().int().positive().max(1_000_000),
    servers: z
      .record(z.string().min(1), z.url({ protocol: /^https?$/ }))
      .refine((s) => Object.keys(s).length > 0, "at least one server is needed"),
  })
  .superRefine((c, ctx) => {
    if (c.block_hash === undefined && c.block_hashes === undefined)
      ctx.addIssue({ code: "custom", path: ["block_hash"], message: "block_hash or block_hashes is required" });
    if (c.public_key === undefined && c.public_keys === undefined)
      ctx.addIssue({ code: "custom", path: ["public_key"], message: "public_key or public_keys is required" });
  });
export type CollectConfig = z.infer<typeof collectConfigSchema>;

/** One generation seed: the (block hash, public key) a server's vectors were computed for. */
export interface Seed {
  blockHash: string;
  publicKey: string;
}

/**
 * Every seed a config names: `block_hashes` x `public_keys` (block hash outer), the singular
 * keys standing for one-element lists. Duplicates are dropped.
 */
export function configSeeds(config: CollectConfig): Seed[] {
  const hashes = config.block_hashes ?? [config.block_hash!];
  const keys = config.public_keys ?? [config.public_key!];
  const out: Seed[] = [];
  const seen = new Set<string>();
  for (const blockHash of hashes) {
    for (const publicKey of keys) {
      const key = seedKey({ blockHash, publicKey });
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ blockHash, publicKey });
    }
  }
  return out;
}

/** True when the config names several seeds: the tool then writes `<server>_<block_hash>_<public_key>.json`. */
export function isMultiSeed(config: CollectConfig): boolean {
  return configSeeds(config).length > 1;
}

/** An unambiguous key of a seed (seed strings may hold any character). */
export function seedKey(seed: Seed): string {
  return JSON.stringify([seed.blockHash, seed.publicKey]);
}

/** One server's file in the data collection format of docs/protocol.md. */
export const serverFileSchema = z.looseObject({
  server_name: z.string().min(1).optional(),
  server_url: z.string().optional(),
  block_hash: z.string().optional(),
  public_key: z.string().optional(),
  nonces: z.array(nonce).optional(),
  artifacts: z.array(z.looseObject({ nonce, vector_b64: z.string().nullable().optional() })).optional(),
  vectors: z.array(z.array(z.number()).nullable()).nullable().optional(),
  encoding: z
    .looseObject({
      dtype: z.string().optional(),
      k_dim: z.number().int().positive().optional(),
      endian: z.string().optional(),
    })
    .optional(),
});
export type ServerFile = z.infer<typeof serverFileSchema>;

/** The vectors one server computed, by nonce. */
export interface ServerVectors {
  name: string;
  file: string;
  url?: string;
  /** The generation inputs (`block_hash` and `public_key`) when the file states them, as `hash/key` for people. */
  inputs?: string;
  /** The seed the vectors were computed for, when known (from the file, else from a single-seed config). */
  seed?: Seed;
  /** The nonces the file lists, in its order. */
  nonces: number[];
  vectors: Map<number, Float64Array>;
}

/** A server file the tool left for a server that failed: `{server_name, ..., error}` instead of vectors. */
export interface FailedServerFile {
  file: string;
  name: string;
  error: string;
  seed?: Seed;
}

export interface Dataset {
  /** One entry per server file: a server appears once per seed it was collected for. */
  servers: ServerVectors[];
  /** Error files, skipped (each also has a warning). */
  failed: FailedServerFile[];
  kDim: number;
  config?: CollectConfig;
  /** Things a person should know (missing vectors, differing nonce lists), one line each. */
  warnings: string[];
}

/**
 * Validates one server file and decodes its vectors: `vectors[i]` belongs to `nonces[i]`;
 * a null or absent entry falls back to the artifact's `vector_b64`; a nonce with neither is
 * reported as missing. A malformed file throws a DatasetError naming the field.
 */
export function parseServerFile(
  value: unknown,
  file: string,
  kDimHint?: number,
): { server: ServerVectors; kDim: number | undefined; warnings: string[] } {
  const parsed = serverFileSchema.safeParse(value);
  if (!parsed.success) {
    const { field, message } = zodField(parsed.error);
    throw new DatasetError(file, field, message);
  }
  const data = parsed.data;
  const warnings: string[] = [];
  const artifacts = data.artifacts ?? [];
  const nonces = data.nonces ?? artifacts.map((a) => a.nonce);
  if (data.vectors && !data.nonces) throw new DatasetError(file, "nonces", "required when `vectors` is given");
  if (data.vectors && data.vectors.length !== nonces.length) {
    throw new DatasetError(file, "vectors", `has ${data.vectors.length} entries but nonces has ${nonces.length}`);
  }
  let kDim = data.encoding?.k_dim ?? kDimHint;
  const byNonce = new Map<number, string | null | undefined>();
  for (const a of artifacts) if (!byNonce.has(a.nonce)) byNonce.set(a.nonce, a.vector_b64);
  const vectors = new Map<number, Float64Array>();
  const seen = new Set<number>();
  let duplicates = 0;
  let missing = 0;
  nonces.forEach((n, i) => {
    if (seen.has(n)) {
      duplicates++;
      return;
    }
    seen.add(n);
    const raw = data.vectors?.[i];
    let v: Float64Array | undefined;
    if (raw) {
      if (raw.some((x) => !Number.isFinite(x)))
        throw new DatasetError(file, `vectors[${i}]`, "holds a non-finite value");
      v = Float64Array.from(raw);
    } else {
      const b64 = byNonce.get(n);
      if (b64) {
        try {
          const field = `artifacts[nonce ${n}].vector_b64`;
          const bytes = fromBase64(b64, field);
          // Without a stated k_dim the byte length decides: two bytes per binary16 value.
          v = decodeVector(bytes, kDim ?? Math.floor(bytes.length / 2), field);
        } catch (err) {
          if (err instanceof DecodeError) {
            throw new DatasetError(file, err.field, err.message.slice(err.field.length + 2), { cause: err });
          }
          throw err;
        }
      }
    }
    if (!v) {
      missing++;
      return;
    }
    if (kDim === undefined) kDim = v.length;
    if (v.length !== kDim) {
      throw new DatasetError(
        file,
        raw ? `vectors[${i}]` : `artifacts[nonce ${n}]`,
        `has ${v.length} values, expected k_dim ${kDim}`,
      );
    }
    vectors.set(n, v);
  });
  const name = data.server_name ?? basename(file).replace(/\.json$/i, "");
  if (missing > 0)
    warnings.push(`${name} (${basename(file)}): ${missing} of ${seen.size} nonces have no vector and are skipped`);
  if (duplicates > 0)
    warnings.push(`${name} (${basename(file)}): ${duplicates} repeated nonces ignored (the first one counts)`);
  const extra = artifacts.filter((a) => !seen.has(a.nonce)).length;
  if (extra > 0) warnings.push(`${name} (${basename(file)}): ${extra} artifacts for nonces not in \`nonces\` ignored`);
  const seed =
    data.block_hash !== undefined && data.public_key !== undefined
      ? { blockHash: data.block_hash, publicKey: data.public_key }
      : undefined;
  const inputs = seed ? `${seed.blockHash}/${seed.publicKey}` : undefined;
  return { server: { name, file, url: data.server_url, inputs, seed, nonces: [...seen], vectors }, kDim, warnings };
}

// Files the tools write next to the data that are not server files.
const NOT_SERVER_FILES = new Set(["config.json", "calibration.json"]);

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new DatasetError(file, "", `cannot read: ${(err as Error).message}`, { cause: err });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new DatasetError(file, "", `not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * The error file the real tool writes for a server that failed (`{server_name, server_url,
 * block_hash, public_key, error}`, no vectors), or undefined for any other content.
 */
export function failedServerFile(value: unknown, file: string): FailedServerFile | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  if (!("error" in v) || "nonces" in v || "artifacts" in v || "vectors" in v) return undefined;
  const name = typeof v.server_name === "string" && v.server_name !== "" ? v.server_name : basename(file, ".json");
  const error = typeof v.error === "string" ? v.error : JSON.stringify(v.error);
  const seed =
    typeof v.block_hash === "string" && typeof v.public_key === "string"
      ? { blockHash: v.block_hash, publicKey: v.public_key }
      : undefined;
  return { file, name, error, seed };
}

/** The server name in a multi-seed file name `<server>_<block_hash>_<public_key>.json`, if it is one. */
function nameFromMultiSeedFile(file: string, seeds: readonly Seed[]): { name: string; seed: Seed } | undefined {
  const stem = basename(file).replace(/\.json$/i, "");
  for (const seed of seeds) {
    const suffix = `_${seed.blockHash}_${seed.publicKey}`;
    if (stem.endsWith(suffix) && stem.length > suffix.length) return { name: stem.slice(0, -suffix.length), seed };
  }
  return undefined;
}

/**
 * Loads a data collection directory as the real tool writes it: `config.json` (optional) and
 * one `*.json` per server and seed (`<server>.json`, or `<server>_<block_hash>_<public_key>.json`
 * for several seeds). Error files of failed servers are warned about and skipped; missing
 * vectors and nonce lists that differ between servers of one seed are warned about.
 * Throws a DatasetError naming the file for anything that cannot be read.
 */
export async function loadDataset(dir: string): Promise<Dataset> {
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isFile() && e.name.toLowerCase().endsWith(".json"))
      .map((e) => e.name)
      .sort();
  } catch (err) {
    throw new DatasetError(dir, "", `cannot read the data directory: ${(err as Error).message}`, { cause: err });
  }
  let config: CollectConfig | undefined;
  if (names.includes("config.json")) {
    const file = join(dir, "config.json");
    const parsed = collectConfigSchema.safeParse(await readJson(file));
    if (!parsed.success) {
      const { field, message } = zodField(parsed.error);
      throw new DatasetError(file, field, message);
    }
    config = parsed.data;
  }
  const seeds = config ? configSeeds(config) : [];
  const warnings: string[] = [];
  const servers: ServerVectors[] = [];
  const failed: FailedServerFile[] = [];
  let kDim = config?.k_dim;
  for (const name of names.filter((n) => !NOT_SERVER_FILES.has(n))) {
    const file = join(dir, name);
    const value = await readJson(file);
    const failure = failedServerFile(value, file);
    if (failure) {
      failed.push(failure);
      warnings.push(`${name}: server "${failure.name}" failed during collection (${failure.error}); file skipped`);
      continue;
    }
    const result = parseServerFile(value, file, kDim);
    if (kDim !== undefined && result.kDim !== undefined && result.kDim !== kDim) {
      throw new DatasetError(file, "encoding.k_dim", `is ${result.kDim} but the other files use ${kDim}`);
    }
    kDim ??= result.kDim;
    const server = result.server;
    const fromName = nameFromMultiSeedFile(file, seeds);
    const stated = (value as { server_name?: unknown }).server_name;
    if (fromName && (typeof stated !== "string" || stated === "")) server.name = fromName.name;
    if (!server.seed) {
      server.seed = fromName?.seed ?? (seeds.length === 1 ? seeds[0] : undefined);
      if (server.seed) server.inputs = `${server.seed.blockHash}/${server.seed.publicKey}`;
    }
    const key = server.seed ? seedKey(server.seed) : "";
    const clash = servers.find((s) => s.name === server.name && (s.seed ? seedKey(s.seed) : "") === key);
    if (clash) {
      throw new DatasetError(
        file,
        "server_name",
        `"${server.name}" is also the name in ${clash.file}${server.seed ? " for the same block_hash and public_key" : ""}`,
      );
    }
    servers.push(server);
    warnings.push(...result.warnings);
  }
  const distinct = [...new Set(servers.map((s) => s.name))];
  if (distinct.length < 2) {
    const files = servers.map((s) => basename(s.file));
    const failedNote =
      failed.length > 0 ? `; skipped error files: ${failed.map((f) => basename(f.file)).join(", ")}` : "";
    throw new DatasetError(
      dir,
      "",
      `needs server files of at least two servers to compare, found ${distinct.length}` +
        `${files.length > 0 ? ` (${distinct[0]}: ${files.join(", ")})` : ""}${failedNote}`,
    );
  }
  warnings.push(...nonceListWarnings(servers));
  return { servers, failed, kDim: kDim ?? 0, config, warnings };
}

/**
 * One warning per server file whose nonce list differs from the union of the lists of the
 * servers of its seed, naming the file.
 */
export function nonceListWarnings(servers: readonly ServerVectors[]): string[] {
  const groups = new Map<string, ServerVectors[]>();
  for (const s of servers) {
    const key = s.seed ? seedKey(s.seed) : "";
    const group = groups.get(key) ?? [];
    group.push(s);
    groups.set(key, group);
  }
  const out: string[] = [];
  for (const group of groups.values()) {
    const union = new Set<number>();
    for (const s of group) for (const n of s.nonces) union.add(n);
    for (const s of group) {
      const absent = union.size - s.nonces.length;
      if (absent > 0) {
        out.push(
          `${s.name} (${basename(s.file)}): its nonce list lacks ${absent} of the ${union.size} nonces other servers of its seed have; pairs use shared nonces only`,
        );
      }
    }
  }
  return out;
}
