// The participant agent: registers on the chain, follows its stages, generates artifacts on its
// backend during each commit window, commits (count, root) several times, and serves proofs.
// Each job lives in its own module (registration, follower, generation, commits); this one
// wires them together with the proof server and the serving side of a cheating strategy.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { createBackendClient } from "../backend/index.js";
import { EVM_ADDRESS_PREFIX } from "../core/index.js";
import { acquirePidLock } from "../fs/index.js";
import { type LoopDelayWatch, watchLoopDelay } from "../net/index.js";
import { type AgentContext, connectChain, describe, stoppableSleep } from "./agent-context.js";
import { type BudgetStatus, type BudgetWatch, createBudgetWatch } from "./budget-watch.js";
import { type CheatStrategy, formatCheat, parseCheat, serveCheatOf, withholdRefuses } from "./cheat.js";
import { createCommitter } from "./commits.js";
import type { VectorBackend } from "./compute.js";
import type { ParticipantConfig } from "./config.js";
import { createFollower, type Follower } from "./follower.js";
import type { Backends } from "./generation.js";
import { loadParticipantKey } from "./key.js";
import { type EventLog, jsonLineEventLog } from "./log.js";
import { type ProofServer, startProofServer } from "./proof-server.js";
import { register } from "./registration.js";
import { createReplayFlood, type ReplayFlood } from "./replay-flood.js";
import { createStageStores } from "./stages.js";

export interface ParticipantOptions {
  /** A `--cheat` strategy; wins over the config's `cheat.strategy`. */
  cheat?: string;
  log?: EventLog;
  /** Where `key.mnemonicEnv` is looked up (default process.env). */
  env?: Record<string, string | undefined>;
  /** The backend to compute on (default: a client of `backend.url`). */
  backend?: VectorBackend;
}

/** What the agent did so far in its current (or last) stage. */
export interface ParticipantProgress {
  stageHeight: number | undefined;
  /** Leaves in the stage's store. */
  leaves: number;
  /** Distinct nonces computed this run (the work spent). */
  computed: number;
  /** Count of the last commit the chain accepted. */
  committedCount: number;
  commits: number;
  registered: boolean;
  /** The rate limiter's burst against the chain's live proof_request_budget (undefined: not read yet). */
  budget: BudgetStatus | undefined;
}

export interface RunningParticipant {
  address: string;
  pocPublicKey: string;
  proofApiUrl: string;
  strategy: string;
  progress(): ParticipantProgress;
  stop(): Promise<void>;
}

/**
 * Starts a participant: the proof API listens before this returns; registration, stage
 * following, generation and commits run in the background until stop().
 * @example const p = await startParticipant(await loadParticipantConfig("participant.yaml"), { cheat: "int4" });
 */
export async function startParticipant(
  config: ParticipantConfig,
  opts: ParticipantOptions = {},
): Promise<RunningParticipant> {
  const strategy: CheatStrategy = parseCheat(opts.cheat ?? config.cheat.strategy);
  const key = await loadParticipantKey(config.key, opts.env, config.chain.kind);
  const log = opts.log ?? jsonLineEventLog(undefined, { component: "participant", address: key.address });
  const abort = new AbortController();
  mkdirSync(config.dataDir, { recursive: true });
  // One agent per data directory: two agents appending to the same stores would corrupt them.
  const unlock = acquirePidLock(join(config.dataDir, "agent.lock"), {
    what: `data directory ${config.dataDir}`,
    hint: "stop it or choose another dataDir",
  });
  const ctx: AgentContext = {
    config,
    key,
    strategy,
    pocPublicKey: config.pocPublicKey ?? key.publicKeyHex,
    log,
    chain: connectChain(config, key, log),
    stores: createStageStores(config.dataDir, {
      onRepair: (event, fields) => log(event, { level: "warn", ...fields }),
    }),
    signal: abort.signal,
    stopped: () => abort.signal.aborted,
    sleep: stoppableSleep(abort.signal),
  };
  let registered = false;
  const budget = createBudgetWatch(config.proofApi.rateLimit.capacity, log);
  // The committer reads the follower's latest height, the follower drives the committer.
  const committer = createCommitter(ctx, () => following.latestHeight());
  const following = createFollower(ctx, {
    committer,
    backends: backendsOf(config, opts.backend),
    registered: () => registered,
    onParams: budget.observe,
  });
  const flood = strategy.kind === "replay-flood" ? replayFloodOf(ctx) : undefined;
  let server: ProofServer;
  try {
    server = await serveProofs(ctx, following, flood);
  } catch (err) {
    ctx.stores.close();
    unlock();
    throw err;
  }
  const proofApiUrl = config.proofApi.publicUrl ?? server.url;
  log("participant_started", {
    address: key.address,
    poc_public_key: ctx.pocPublicKey,
    proof_api_url: proofApiUrl,
    listening: server.url,
    strategy: formatCheat(strategy),
  });

  const loop = watchLoop(log);
  const running = (async () => {
    // Beside registration, not before it: the first stage waits for registration, not for this read.
    const watched = watchBudgetAtStart(ctx, budget);
    registered = await register(ctx, proofApiUrl);
    await watched;
    await following.run();
  })().catch((err: unknown) => log("participant_failed", { level: "error", error: describe(err) }));

  return {
    address: key.address,
    pocPublicKey: ctx.pocPublicKey,
    proofApiUrl,
    strategy: formatCheat(strategy),
    progress: () => progressOf(following, registered, budget.status()),
    async stop() {
      if (ctx.stopped()) return;
      abort.abort();
      await running;
      await following.finishActive();
      await flood?.stop();
      if (flood) log("replay_flood_stopped", { answers: flood.stats() });
      await server.stop();
      ctx.stores.close();
      unlock();
      ctx.chain.close();
      loop.stop();
      log("participant_stopped", { event_loop_worst_ms: Math.round(loop.worstMs()) });
    },
  };
}

/** Watches the event loop's delay; a stall of a second or more is logged (every proof answer of the process is late then). */
function watchLoop(log: EventLog): LoopDelayWatch {
  return watchLoopDelay({
    onStall: (s) =>
      log("event_loop_stalled", {
        level: "warn",
        max_ms: Math.round(s.maxMs),
        p99_ms: Math.round(s.p99Ms),
        mean_ms: Math.round(s.meanMs),
      }),
  });
}

/** The backend to generate on (given, or a client of backend.url) and the int4 one when configured. */
function backendsOf(config: ParticipantConfig, backend: VectorBackend | undefined): Backends {
  const backendOptions = {
    timeoutMs: config.backend.timeoutMs,
    retries: config.backend.retries,
    batchSize: config.backend.batchSize,
  };
  return {
    backend: backend ?? createBackendClient({ url: config.backend.url, ...backendOptions }),
    int4Backend: config.backend.int4Url
      ? createBackendClient({ url: config.backend.int4Url, ...backendOptions })
      : undefined,
  };
}

/** The replay-flood strategy's sender, aimed at the other registered participants' proof APIs. */
function replayFloodOf(ctx: AgentContext): ReplayFlood {
  return createReplayFlood({
    targets: async () =>
      (await ctx.chain.participants())
        .filter((p) => p.address !== ctx.key.address && p.proofApiUrl !== "")
        .map((p) => p.proofApiUrl),
    log: ctx.log,
  });
}

/** Starts the proof API over the agent's stores, serving as its cheating strategy says. */
function serveProofs(ctx: AgentContext, following: Follower, flood: ReplayFlood | undefined): Promise<ProofServer> {
  const { config, key, strategy, log } = ctx;
  return startProofServer({
    host: config.proofApi.host,
    port: config.proofApi.port,
    stores: ctx.stores,
    participantAddress: key.address,
    signingKey: key.privateKey,
    // The address scheme validators sign requests with: bech32 on Cosmos, 0x hex on EVM.
    ...(config.chain.kind === "evm" && { prefix: EVM_ADDRESS_PREFIX }),
    bondedValidators: async (stageHeight) => {
      const snapshot = await ctx.chain.stakeSnapshot(BigInt(stageHeight));
      return new Set(snapshot.validators.filter((v) => BigInt(v.stake) > 0n).map((v) => v.address));
    },
    rateLimit: config.proofApi.rateLimit,
    maxBodyBytes: config.proofApi.maxBodyBytes,
    cheat: serveCheatOf(
      strategy,
      (stageHeight) => withholdRefuses(following.stage(stageHeight), following.latestHeight()),
      flood?.observe,
    ),
    log,
  });
}

/** The live budget read once at start; a chain not answering yet is left to the first stage's read. */
async function watchBudgetAtStart(ctx: AgentContext, budget: BudgetWatch): Promise<void> {
  try {
    budget.observe(await ctx.chain.params());
  } catch (err) {
    ctx.log("chain_params_unread", { level: "warn", error: describe(err) });
  }
}

function progressOf(following: Follower, registered: boolean, budget: BudgetStatus | undefined): ParticipantProgress {
  const last = following.last();
  return {
    stageHeight: last?.stageHeight,
    leaves: last?.store.size ?? 0,
    computed: last?.computed ?? 0,
    committedCount: last?.committedCount ?? 0,
    commits: last?.commits ?? 0,
    registered,
    budget,
  };
}
