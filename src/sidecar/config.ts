// The sidecar's configuration: a YAML or JSON file validated strictly, then environment overrides,
// read by config/loader.ts like the participant agent's.
import { z } from "zod";
import { DEFAULT_GAS_PRICE } from "../client/index.js";
import {
  applyEnvOverrides as applyEnv,
  ConfigError,
  type ConfigRules,
  type EnvOverride,
  loadConfigFile,
  parseConfig,
} from "../config/index.js";
import { DEFAULT_CHUNK_SIZE, MAX_LEAF_INDICES } from "../core/index.js";
import { chainConfigSchema, chainEnvOverrides, checkChainSection, resolveChainRpc, urlWith } from "../net/index.js";

/** A configuration that cannot be read or does not validate; the message names every field at fault. */
export class SidecarConfigError extends ConfigError {
  override name = "SidecarConfigError";
}

const retrySchema = (defaults: { attempts: number; baseDelayMs: number; maxDelayMs: number }) =>
  z
    .strictObject({
      /** Tries in all, the first included. */
      attempts: z.number().int().min(1).max(1000).default(defaults.attempts),
      baseDelayMs: z.number().int().min(0).max(600_000).default(defaults.baseDelayMs),
      maxDelayMs: z.number().int().min(0).max(3_600_000).default(defaults.maxDelayMs),
    })
    .prefault({});

/** The configuration schema; every section and field has a default except the chain's RPC, backend and key. */
export const sidecarConfigSchema = z
  .strictObject({
    chain: chainConfigSchema,
    node: z
      .strictObject({
        /** The Cosmos node's CometBFT RPC (required on a cosmos chain unless chain.rpcUrl gives it). */
        rpcUrl: urlWith(["http:", "https:"]).optional(),
        /** Websocket endpoint for NewBlock events; derived from rpcUrl when absent. */
        wsUrl: urlWith(["ws:", "wss:"]).optional(),
        /** Polling period of the fallback follower (and of the websocket watchdog). */
        pollIntervalMs: z.number().int().min(10).max(60_000).default(500),
        /** Declare the websocket dead when no block arrives for this long. */
        wsStallMs: z.number().int().min(100).max(600_000).default(10_000),
        requestTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
      })
      .prefault({}),
    key: z
      .strictObject({
        mnemonicFile: z.string().min(1).optional(),
        /** A key file as `pocval node init` writes it: JSON `{name, address, mnemonic}`. */
        keyFile: z.string().min(1).optional(),
        /** Only for programmatic use and the POCVAL_SIDECAR_MNEMONIC variable; never put it in a file. */
        mnemonic: z.string().min(1).optional(),
      })
      .prefault({})
      .refine(
        (k) => [k.mnemonicFile, k.keyFile, k.mnemonic].filter((v) => v !== undefined).length === 1,
        "exactly one of mnemonicFile, keyFile or mnemonic (POCVAL_SIDECAR_MNEMONIC) must be given",
      ),
    backend: z.strictObject({
      urls: z
        .array(urlWith(["http:", "https:"]))
        .min(1)
        .max(64),
      /** Recompute requests in flight per backend URL; enough that the backend never waits for the sidecar's event loop. */
      concurrency: z.number().int().min(1).max(256).default(8),
      /** Nonces per backend request (a participant's sample is split into requests of this size). */
      batchSize: z.number().int().min(1).max(100_000).default(500),
      timeoutMs: z.number().int().min(100).max(3_600_000).default(120_000),
      retry: retrySchema({ attempts: 1000, baseDelayMs: 500, maxDelayMs: 5_000 }),
    }),
    proofApi: z
      .strictObject({
        /** Leaf indices per proof request; the protocol allows at most 500. */
        batchSize: z.number().int().min(1).max(MAX_LEAF_INDICES).default(MAX_LEAF_INDICES),
        maxResponseBytes: z
          .number()
          .int()
          .min(1024)
          .max(1 << 30)
          .default(16 << 20),
        /** Participants whose proofs are fetched at the same time. */
        concurrency: z.number().int().min(1).max(1024).default(16),
        /** Worker threads verifying proofs (sampling, signing, fetching, Merkle checks); 0 keeps it all in the main thread. */
        workers: z.number().int().min(0).max(64).default(0),
        /**
         * Waits between failed proof requests (backoff), each capped at the chain's proof_response_ms.
         * How many tries and how long each may take are the chain's (proof_request_budget,
         * proof_response_ms; docs/protocol.md "Availability"), never the sidecar's own.
         */
        retry: z
          .strictObject({
            baseDelayMs: z.number().int().min(0).max(600_000).default(200),
            maxDelayMs: z.number().int().min(0).max(3_600_000).default(1_000),
          })
          .prefault({}),
      })
      .prefault({}),
    /** Curtailed checks (docs/protocol.md "Curtailed checks"). */
    check: z
      .strictObject({
        /** Leaves of one participant recomputed before the verdict is looked at again. */
        chunkSize: z.number().int().min(1).max(100_000).default(DEFAULT_CHUNK_SIZE),
        /** false: recompute every sampled leaf (the full test; same verdicts, more recomputes). */
        curtail: z.boolean().default(true),
      })
      .prefault({}),
    votes: z
      .strictObject({
        /** Votes per MsgSubmitVotes transaction. */
        batchSize: z.number().int().min(1).max(10_000).default(100),
        gasPrice: z
          .string()
          .regex(/^\d+(\.\d+)?[a-z][a-z0-9/]{2,127}$/, "must look like 0.025upoc")
          .default(DEFAULT_GAS_PRICE),
        /** Simulate each batch for its gas limit; when off (or simulation fails) baseGas + gasPerVote * votes. */
        simulate: z.boolean().default(true),
        gasAdjustment: z.number().min(1).max(10).default(1.3),
        baseGas: z.number().int().min(1).default(200_000),
        gasPerVote: z.number().int().min(1).default(30_000),
        /** Gas multiplier after an out-of-gas failure. */
        gasRetryFactor: z.number().min(1.1).max(10).default(2),
        /** How long to wait for a broadcast transaction to land before checking the chain again. */
        inclusionTimeoutMs: z.number().int().min(100).max(600_000).default(20_000),
        /** Stop checking and flush the votes this many blocks before the validation window closes. */
        deadlineMarginBlocks: z.number().int().min(0).max(1000).default(2),
        retry: retrySchema({ attempts: 20, baseDelayMs: 200, maxDelayMs: 3_000 }),
      })
      .prefault({}),
    journal: z.strictObject({ path: z.string().min(1).default("pocval-sidecar.db") }).prefault({}),
    metrics: z
      .strictObject({
        host: z.string().min(1).default("127.0.0.1"),
        /** 0 picks a free port (see startSidecar's metricsUrl). */
        port: z.number().int().min(0).max(65_535).default(9464),
        enabled: z.boolean().default(true),
      })
      .prefault({}),
    log: z
      .strictObject({
        level: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
        /** The one-line progress display: auto shows it when stderr is a terminal. */
        progress: z.enum(["auto", "on", "off"]).default("auto"),
      })
      .prefault({}),
  })
  .superRefine(checkChainSection)
  .transform(resolveChainRpc);

/** The file as written (defaults not yet applied). */
export type SidecarConfigInput = z.input<typeof sidecarConfigSchema>;
/** The validated configuration that startSidecar takes. */
export type SidecarConfig = z.output<typeof sidecarConfigSchema>;

/**
 * Environment variables and the config path each one overrides. Numbers are parsed; a list
 * (backend URLs) is comma separated.
 */
export const ENV_OVERRIDES: readonly EnvOverride[] = [
  ...chainEnvOverrides("POCVAL_SIDECAR"),
  { name: "POCVAL_SIDECAR_NODE_WS", path: ["node", "wsUrl"], kind: "string" },
  { name: "POCVAL_SIDECAR_BACKEND_URL", path: ["backend", "urls"], kind: "list" },
  { name: "POCVAL_SIDECAR_BACKEND_CONCURRENCY", path: ["backend", "concurrency"], kind: "int" },
  { name: "POCVAL_SIDECAR_MNEMONIC", path: ["key", "mnemonic"], kind: "string" },
  { name: "POCVAL_SIDECAR_MNEMONIC_FILE", path: ["key", "mnemonicFile"], kind: "string" },
  { name: "POCVAL_SIDECAR_KEY_FILE", path: ["key", "keyFile"], kind: "string" },
  { name: "POCVAL_SIDECAR_PROOF_CONCURRENCY", path: ["proofApi", "concurrency"], kind: "int" },
  { name: "POCVAL_SIDECAR_PROOF_BATCH_SIZE", path: ["proofApi", "batchSize"], kind: "int" },
  { name: "POCVAL_SIDECAR_PROOF_WORKERS", path: ["proofApi", "workers"], kind: "int" },
  { name: "POCVAL_SIDECAR_VOTE_BATCH_SIZE", path: ["votes", "batchSize"], kind: "int" },
  { name: "POCVAL_SIDECAR_JOURNAL", path: ["journal", "path"], kind: "string" },
  { name: "POCVAL_SIDECAR_METRICS_HOST", path: ["metrics", "host"], kind: "string" },
  { name: "POCVAL_SIDECAR_METRICS_PORT", path: ["metrics", "port"], kind: "int" },
  { name: "POCVAL_SIDECAR_LOG_LEVEL", path: ["log", "level"], kind: "string" },
  { name: "POCVAL_SIDECAR_PROGRESS", path: ["log", "progress"], kind: "string" },
];

const rules: ConfigRules<typeof sidecarConfigSchema> = {
  schema: sidecarConfigSchema,
  error: (source, issues) => new SidecarConfigError(source, issues),
  env: ENV_OVERRIDES,
  // A key source from the environment replaces the file's, so they never conflict.
  exclusive: { section: "key", fields: ["mnemonic", "mnemonicFile", "keyFile"] },
};

/** Applies the environment overrides to a raw (unvalidated) config object; returns a new object. */
export function applyEnvOverrides(raw: unknown, env: Record<string, string | undefined>): unknown {
  return applyEnv(raw, env, ENV_OVERRIDES, rules.exclusive);
}

/** Validates a raw config object; errors name each path (`backend.urls.0: ...`). */
export function parseSidecarConfig(raw: unknown, source = "config"): SidecarConfig {
  return parseConfig(raw, source, rules);
}

/** Reads a YAML or JSON config file (config/loader.ts), applies the environment, validates. */
export async function loadSidecarConfig(
  file: string,
  env: Record<string, string | undefined> = process.env,
): Promise<SidecarConfig> {
  return loadConfigFile(file, rules, env);
}

/** The config with secrets masked, fit for a log line. */
export function redactConfig(config: SidecarConfig): unknown {
  return { ...config, key: { ...config.key, mnemonic: config.key.mnemonic === undefined ? undefined : "<redacted>" } };
}
