import { readdir, readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { z } from "zod";
import { DecodeError, decodeVector, fromBase64 } from "../core/index.js";

/** Raised for a data set file that cannot be used; names the file and the field at fault. */
export class DatasetError extends Error {
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

/** The data collection config of docs/protocol.md (`config.json`, and `pocval collect --config`). */
export const collectConfigSchema = z.object({
  model: z.string().min(1),
  seq_len: z.number().int().positive(),
  k_dim: z.number().int().positive().max(4096),
  block_hash: z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lower-case hex characters"),
  public_key: z.string().min(1),
  block_height: z.number().int().nonnegative(),
  batch_size: z.number().int().positive(),
  nonce_count: z.number().int().positive().max(1_000_000),
  servers: z
    .record(z.string().min(1), z.url({ protocol: /^https?$/ }))
    .refine((s) => Object.keys(s).length > 0, "at least one server is needed"),
});
export type CollectConfig = z.infer<typeof collectConfigSchema>;

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
  /** The generation inputs (`block_hash` and `public_key`) when the file states them. */
  inputs?: string;
  /** The nonces the file lists, in its order. */
  nonces: number[];
  vectors: Map<number, Float64Array>;
}

export interface Dataset {
  servers: ServerVectors[];
  kDim: number;
  config?: CollectConfig;
  /** Things a person should know (missing vectors, differing nonce lists), one line each. */
  warnings: string[];
}

function zodField(error: z.ZodError): { field: string; message: string } {
  const issue = error.issues[0]!;
  const field = issue.path
    .map((k, i) => (typeof k === "number" ? `[${k}]` : `${i > 0 ? "." : ""}${String(k)}`))
    .join("");
  return { field, message: issue.message };
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
  const inputs =
    data.block_hash !== undefined && data.public_key !== undefined
      ? `${data.block_hash}/${data.public_key}`
      : undefined;
  return { server: { name, file, url: data.server_url, inputs, nonces: [...seen], vectors }, kDim, warnings };
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
 * Loads a data collection directory: `config.json` (optional) and one `*.json` per server.
 * Warns about missing vectors and nonce lists that differ between servers.
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
  const warnings: string[] = [];
  const servers: ServerVectors[] = [];
  let kDim = config?.k_dim;
  for (const name of names.filter((n) => !NOT_SERVER_FILES.has(n))) {
    const file = join(dir, name);
    const result = parseServerFile(await readJson(file), file, kDim);
    if (kDim !== undefined && result.kDim !== undefined && result.kDim !== kDim) {
      throw new DatasetError(file, "encoding.k_dim", `is ${result.kDim} but the other files use ${kDim}`);
    }
    kDim ??= result.kDim;
    const clash = servers.find((s) => s.name === result.server.name);
    if (clash) throw new DatasetError(file, "server_name", `"${result.server.name}" is also the name in ${clash.file}`);
    servers.push(result.server);
    warnings.push(...result.warnings);
  }
  if (servers.length < 2) {
    throw new DatasetError(dir, "", `needs at least two server files to compare, found ${servers.length}`);
  }
  warnings.push(...nonceListWarnings(servers));
  return { servers, kDim: kDim ?? 0, config, warnings };
}

/** One warning per server whose nonce list differs from the union of all lists. */
export function nonceListWarnings(servers: readonly ServerVectors[]): string[] {
  const union = new Set<number>();
  for (const s of servers) for (const n of s.nonces) union.add(n);
  const out: string[] = [];
  for (const s of servers) {
    const absent = union.size - s.nonces.length;
    if (absent > 0) {
      out.push(
        `${s.name}: its nonce list lacks ${absent} of the ${union.size} nonces other servers have; pairs use shared nonces only`,
      );
    }
  }
  return out;
}
