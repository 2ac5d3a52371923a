// The participant agent's configuration: a YAML or JSON file validated strictly (unknown keys
// are errors), then environment overrides, read by config/loader.ts like the sidecar's.
import { z } from "zod";
import { DEFAULT_GAS_PRICE } from "../client/index.js";
import { ConfigError, type ConfigRules, type EnvOverride, loadConfigFile, parseConfig } from "../config/index.js";
import { DEFAULT_PROOF_REQUEST_BUDGET } from "../core/index.js";
import { chainConfigSchema, chainEnvOverrides, checkChainSection, resolveChainRpc, urlWith } from "../net/index.js";
import { InvalidCheatError, parseCheat } from "./cheat.js";
import { budgetShortfall, DEFAULT_RATE_LIMIT } from "./rate-limit.js";

/** A configuration that cannot be read or does not validate; the message names every field at fault. */
export class ParticipantConfigError extends ConfigError {
  override name = "ParticipantConfigError";
}

const httpUrl = urlWith(["http:", "https:"]);

const keySchema = z.union(
  [
    z.strictObject({ mnemonicFile: z.string().min(1) }),
    /** A key file as `pocval node init` writes it: JSON `{name, address, mnemonic}`. */
    z.strictObject({ keyFile: z.string().min(1) }),
    /** The name of an environment variable holding the mnemonic. */
    z.strictObject({
      mnemonicEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name"),
    }),
  ],
  { error: "must be exactly one of {mnemonicFile}, {keyFile} or {mnemonicEnv}" },
);

export const participantConfigSchema = z
  .strictObject({
    chain: chainConfigSchema,
    node: z
      .strictObject({
        /** The Cosmos node's CometBFT RPC (required on a cosmos chain unless chain.rpcUrl gives it). */
        rpcUrl: httpUrl.optional(),
        /** How often the stage is polled; about half the block time. */
        pollIntervalMs: z.number().int().min(10).max(60_000).default(500),
        requestTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
        /** Gas limit of each transaction, or "auto" to simulate first. */
        gas: z.union([z.number().int().min(1).max(100_000_000), z.literal("auto")]).default(200_000),
        gasPrice: z
          .string()
          .regex(/^\d+(\.\d+)?[a-z][a-z0-9/]{2,127}$/, "must look like 0.025upoc")
          .default(DEFAULT_GAS_PRICE),
        /** How long to wait for a broadcast transaction to land in a block. */
        broadcastTimeoutMs: z.number().int().min(100).max(600_000).default(30_000),
      })
      .prefault({}),
    key: keySchema,
    backend: z.strictObject({
      url: httpUrl,
      /** Nonces per backend request. */
      batchSize: z.number().int().min(1).max(100_000).default(1000),
      timeoutMs: z.number().int().min(100).max(3_600_000).default(60_000),
      retries: z.number().int().min(0).max(100).default(3),
      /** A backend serving an INT4 model, for `--cheat int4`; without one int4 vectors are computed in-process. */
      int4Url: httpUrl.optional(),
    }),
    /** Where the artifact stores live (one folder per stage). */
    dataDir: z.string().min(1),
    /** Stages whose stores are kept on disk (older ones are deleted). */
    keepStages: z.number().int().min(1).max(1000).default(4),
    proofApi: z
      .strictObject({
        host: z.string().min(1).default("127.0.0.1"),
        /** 0 picks a free port. */
        port: z.number().int().min(0).max(65_535).default(0),
        /** The URL registered on chain; defaults to the URL the server listens on. */
        publicUrl: httpUrl.optional(),
        /**
         * Per-validator token bucket of the proof API. The burst must leave every bonded validator
         * its whole proof_request_budget (docs/protocol.md "Availability"): at least the default 8.
         */
        rateLimit: z
          .strictObject({
            capacity: z
              .number()
              .int()
              .max(100_000)
              .default(DEFAULT_RATE_LIMIT.capacity)
              .superRefine((capacity, ctx) => {
                const shortfall = budgetShortfall(capacity, DEFAULT_PROOF_REQUEST_BUDGET);
                if (shortfall) ctx.addIssue({ code: "custom", message: shortfall });
              }),
            refillPerSecond: z.number().positive().max(100_000).default(DEFAULT_RATE_LIMIT.refillPerSecond),
          })
          .prefault({}),
        maxBodyBytes: z.number().int().min(1024).max(16_777_216).default(65_536),
      })
      .prefault({}),
    /** The key the backends derive inputs from; defaults to the account's hex compressed public key. */
    pocPublicKey: z.string().min(1).max(256).optional(),
    generation: z
      .strictObject({
        /** The nonce budget: leaves per stage at most. */
        maxNonces: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).default(10_000),
        /** Leaves computed and appended per step. */
        batchSize: z.number().int().min(1).max(100_000).default(500),
        /** Batches computed ahead of the store at once (hides the backend's round trips). */
        concurrency: z.number().int().min(1).max(64).default(2),
      })
      .prefault({}),
    commit: z
      .strictObject({
        /** Commit when this many blocks passed since the last commit... */
        everyBlocks: z.number().int().min(1).max(100_000).default(1),
        /** ...or when this many leaves were added since. */
        everyLeaves: z.number().int().min(1).optional(),
        /** The final commit is sent this many blocks before the last commit height, leaving room to land. */
        finalMarginBlocks: z.number().int().min(0).max(1000).default(1),
      })
      .prefault({}),
    cheat: z
      .strictObject({
        /** A strategy as `--cheat` takes it; the flag wins over this. */
        strategy: z
          .string()
          .optional()
          .superRefine((v, ctx) => {
            try {
              parseCheat(v);
            } catch (err) {
              if (err instanceof InvalidCheatError) ctx.addIssue({ code: "custom", message: err.message });
              else throw err;
            }
          }),
        /** Whose vectors `replay` reuses; defaults to another registered participant's key. */
        replayPublicKey: z.string().min(1).optional(),
      })
      .prefault({}),
  })
  .superRefine(checkChainSection)
  .transform(resolveChainRpc);

export type ParticipantConfigInput = z.input<typeof participantConfigSchema>;
/** The validated configuration startParticipant takes. */
export type ParticipantConfig = z.output<typeof participantConfigSchema>;

/** The environment variables that override the file, like the sidecar's (docs/cli.md). */
export const PARTICIPANT_ENV_OVERRIDES: readonly EnvOverride[] = [
  ...chainEnvOverrides("POCVAL_PARTICIPANT"),
  { name: "POCVAL_PARTICIPANT_BACKEND_URL", path: ["backend", "url"], kind: "string" },
  { name: "POCVAL_PARTICIPANT_MNEMONIC_FILE", path: ["key", "mnemonicFile"], kind: "string" },
  { name: "POCVAL_PARTICIPANT_KEY_FILE", path: ["key", "keyFile"], kind: "string" },
];

const rules: ConfigRules<typeof participantConfigSchema> = {
  schema: participantConfigSchema,
  error: (source, issues) => new ParticipantConfigError(source, issues),
  env: PARTICIPANT_ENV_OVERRIDES,
  exclusive: { section: "key", fields: ["mnemonicFile", "keyFile", "mnemonicEnv"] },
};

/** Validates a raw config object; errors name each path (`backend.url: ...`). */
export function parseParticipantConfig(raw: unknown, source = "config"): ParticipantConfig {
  return parseConfig(raw, source, rules);
}

/** Reads a YAML or JSON config file (config/loader.ts), applies the environment, validates. */
export async function loadParticipantConfig(
  path: string,
  env: Record<string, string | undefined> = process.env,
): Promise<ParticipantConfig> {
  return loadConfigFile(path, rules, env);
}
