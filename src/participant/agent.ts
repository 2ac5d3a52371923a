// The participant agent: registers on the chain, follows its stages, generates artifacts on its
// backend during each commit window, commits (count, root) several times, and serves proofs.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleepFor } from "node:timers/promises";
import { calculateFee, GasPrice, QueryClient, SigningStargateClient, type StdFee } from "@cosmjs/stargate";
import { Comet38Client, HttpClient } from "@cosmjs/tendermint-rpc";
import { createBackendClient } from "../backend/index.js";
import {
  createPocvalRegistry,
  type MsgCommitArtifactsEncodeObject,
  type MsgRegisterParticipantEncodeObject,
  setupPocvalExtension,
  typeUrls,
} from "../client/index.js";
import { toBase64 } from "../core/index.js";
import { acquirePidLock } from "../fs/pid-lock.js";
import type { StageInfo } from "../gen/pocval/v1/types.js";
import { commitDecision } from "./cadence.js";
import { type CheatStrategy, formatCheat, parseCheat, serveCheatOf } from "./cheat.js";
import { type StageInputs, strategyCompute, type VectorBackend } from "./compute.js";
import type { ParticipantConfig } from "./config.js";
import { appendPrepared, type PreparedBatch, prepareBatch } from "./generate.js";
import { loadParticipantKey, type ParticipantKey } from "./key.js";
import { jsonLineLogger, type Logger } from "./log.js";
import { type ProofServer, startProofServer } from "./proof-server.js";
import { createStageStores } from "./stages.js";
import type { ArtifactStore } from "./store.js";

export interface ParticipantOptions {
  /** A `--cheat` strategy; wins over the config's `cheat.strategy`. */
  cheat?: string;
  log?: Logger;
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
}

export interface RunningParticipant {
  address: string;
  pocPublicKey: string;
  proofApiUrl: string;
  strategy: string;
  progress(): ParticipantProgress;
  stop(): Promise<void>;
}

/** One stage's generation and commits. */
interface StageRun {
  stageHeight: number;
  info: StageInfo;
  store: ArtifactStore;
  inputs: StageInputs;
  /** Count of the last commit the chain accepted in this stage. */
  committedCount: number;
  /** Chain height observed when the last commit was sent: at most one commit per block. */
  lastSentAt: bigint;
  committing: boolean;
  computed: number;
  commits: number;
  done: boolean;
  generation: Promise<void>;
}

const BACKOFF_BASE_MS = 250;
const BACKOFF_MAX_MS = 10_000;
/** Stage windows remembered for withhold; older stages count as past their window. */
const SEEN_STAGES = 64;

function backoff(failures: number): number {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(failures, 16));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
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
  const key: ParticipantKey = await loadParticipantKey(config.key, opts.env);
  const pocPublicKey = config.pocPublicKey ?? key.publicKeyHex;
  const log = opts.log ?? jsonLineLogger(undefined, { component: "participant", address: key.address });
  const abort = new AbortController();
  const stopped = () => abort.signal.aborted;
  const sleep = (ms: number) => sleepFor(ms, undefined, { signal: abort.signal }).catch(() => undefined);

  const comet = Comet38Client.create(new HttpClient(config.node.rpcUrl, config.node.requestTimeoutMs));
  const query = QueryClient.withExtensions(comet, setupPocvalExtension);
  const gasPrice = GasPrice.fromString(config.node.gasPrice);
  const signer = SigningStargateClient.createWithSigner(comet, key.wallet, {
    registry: createPocvalRegistry(),
    gasPrice,
    broadcastPollIntervalMs: Math.max(25, Math.floor(config.node.pollIntervalMs / 2)),
    broadcastTimeoutMs: config.node.broadcastTimeoutMs,
  });
  const fee: StdFee | "auto" = config.node.gas === "auto" ? "auto" : calculateFee(config.node.gas, gasPrice);
  const backendOptions = {
    timeoutMs: config.backend.timeoutMs,
    retries: config.backend.retries,
    batchSize: config.backend.batchSize,
  };
  const backend = opts.backend ?? createBackendClient({ url: config.backend.url, ...backendOptions });
  const int4Backend = config.backend.int4Url
    ? createBackendClient({ url: config.backend.int4Url, ...backendOptions })
    : undefined;
  mkdirSync(config.dataDir, { recursive: true });
  // One agent per data directory: two agents appending to the same stores would corrupt them.
  const unlock = acquirePidLock(join(config.dataDir, "agent.lock"), {
    what: `data directory ${config.dataDir}`,
    hint: "stop it or choose another dataDir",
  });
  const stores = createStageStores(config.dataDir, {
    onRepair: (event, fields) => log(event, { level: "warn", ...fields }),
  });

  let latestHeight = 0n;
  const seen = new Map<number, StageInfo>();
  let registered = false;
  let active: StageRun | undefined;
  let last: StageRun | undefined;
  const finished = new Set<number>();

  // withhold refuses once the commit window of the asked stage has closed (or for a stage it never saw).
  const pastCommitWindow = (stageHeight: number): boolean => {
    const info = seen.get(stageHeight);
    return info === undefined || latestHeight > info.commitEndHeight;
  };
  let server: ProofServer;
  try {
    server = await startProofServer({
      host: config.proofApi.host,
      port: config.proofApi.port,
      stores,
      participantAddress: key.address,
      bondedValidators: async (stageHeight) => {
        const snapshot = await query.pocval.stakeSnapshot(BigInt(stageHeight));
        return new Set(snapshot.validators.filter((v) => BigInt(v.stake) > 0n).map((v) => v.address));
      },
      rateLimit: config.proofApi.rateLimit,
      maxBodyBytes: config.proofApi.maxBodyBytes,
      cheat: serveCheatOf(strategy, pastCommitWindow),
      log,
    });
  } catch (err) {
    stores.close();
    unlock();
    throw err;
  }
  const proofApiUrl = config.proofApi.publicUrl ?? server.url;
  log("participant_started", {
    address: key.address,
    poc_public_key: pocPublicKey,
    proof_api_url: proofApiUrl,
    listening: server.url,
    strategy: formatCheat(strategy),
  });

  const register = async (): Promise<void> => {
    for (let failures = 0; !stopped(); failures++) {
      try {
        const me = (await query.pocval.participants()).find((p) => p.address === key.address);
        if (me?.pocPublicKey === pocPublicKey && me.proofApiUrl === proofApiUrl) {
          log("already_registered", { proof_api_url: proofApiUrl });
        } else {
          const msg: MsgRegisterParticipantEncodeObject = {
            typeUrl: typeUrls.registerParticipant,
            value: { creator: key.address, pocPublicKey, proofApiUrl },
          };
          const res = await signer.signAndBroadcast(key.address, [msg], fee);
          if (res.code !== 0) throw new Error(`register rejected (code ${res.code}): ${res.rawLog ?? ""}`);
          log("registered", { height: res.height, tx: res.transactionHash, proof_api_url: proofApiUrl });
        }
        registered = true;
        return;
      } catch (err) {
        const delay = backoff(failures);
        log("register_retry", { level: "warn", error: describe(err), retry_in_ms: Math.round(delay) });
        await sleep(delay);
      }
    }
  };

  const replayKeyFor = async (): Promise<string> => {
    if (config.cheat.replayPublicKey) return config.cheat.replayPublicKey;
    const other = (await query.pocval.participants()).find((p) => p.address !== key.address);
    return other?.pocPublicKey ?? `${pocPublicKey}/replayed`;
  };

  const generate = async (run: StageRun): Promise<void> => {
    const compute = strategyCompute(strategy, run.inputs, {
      backend,
      int4Backend,
      publicKey: pocPublicKey,
      replayPublicKey: strategy.kind === "replay" ? await replayKeyFor() : pocPublicKey,
      machineId: key.address,
      signal: abort.signal,
    });
    const randomSeed = new TextEncoder().encode(`${run.inputs.generationSeed}/${key.address}`);
    const started = performance.now();
    let lastProgress = 0;
    let failures = 0;
    // Up to `concurrency` batches computed ahead of the store, appended in order.
    const inFlight: Promise<PreparedBatch>[] = [];
    let planned = run.store.size;
    const fill = () => {
      while (inFlight.length < config.generation.concurrency && planned < config.generation.maxNonces) {
        const length = Math.min(config.generation.batchSize, config.generation.maxNonces - planned);
        const batch = prepareBatch(strategy, planned, length, run.store.kDim, compute, randomSeed);
        batch.catch(() => undefined); // awaited in order below; never an unhandled rejection
        inFlight.push(batch);
        planned += length;
      }
    };
    while (!run.done && !stopped() && run.store.size < config.generation.maxNonces) {
      fill();
      try {
        const result = appendPrepared(run.store, await inFlight[0]!);
        inFlight.shift();
        run.store.flush();
        run.computed += result.computed;
        failures = 0;
        const now = performance.now();
        if (now - lastProgress >= 1000 || run.store.size >= config.generation.maxNonces) {
          lastProgress = now;
          log("generated", {
            stage_height: run.stageHeight,
            leaves: run.store.size,
            computed: run.computed,
            nonces_per_second: Math.round(run.computed / Math.max((now - started) / 1000, 1e-3)),
          });
        }
      } catch (err) {
        // Drop every batch computed ahead: they are re-planned from the store's size.
        inFlight.length = 0;
        planned = run.store.size;
        if (run.done || stopped()) break;
        const delay = backoff(failures++);
        log("generation_retry", {
          level: "warn",
          stage_height: run.stageHeight,
          error: describe(err),
          retry_in_ms: Math.round(delay),
        });
        await sleep(delay);
      }
    }
    await Promise.allSettled(inFlight);
    if (run.store.size >= config.generation.maxNonces) {
      log("nonce_budget_reached", { stage_height: run.stageHeight, leaves: run.store.size });
    }
  };

  const maybeCommit = (run: StageRun): void => {
    if (run.committing || run.done || stopped() || !registered) return;
    const height = latestHeight;
    const count = run.store.size;
    const decision = commitDecision(
      {
        height,
        commitEndHeight: run.info.commitEndHeight,
        count,
        committedCount: run.committedCount,
        lastSentAt: run.lastSentAt,
      },
      config.commit,
    );
    if (!decision.commit) return;
    const final = decision.final;
    let rootHash: Uint8Array;
    try {
      rootHash = run.store.root(count);
      run.store.markCommitted({ count, rootHash });
    } catch (err) {
      log("commit_failed", { level: "error", stage_height: run.stageHeight, count, error: describe(err) });
      return;
    }
    run.committing = true;
    run.lastSentAt = height;
    const msg: MsgCommitArtifactsEncodeObject = {
      typeUrl: typeUrls.commitArtifacts,
      value: { creator: key.address, stageHeight: BigInt(run.stageHeight), count: BigInt(count), rootHash },
    };
    const fields = { stage_height: run.stageHeight, count, root_hash: toBase64(rootHash), final };
    signer
      .signAndBroadcast(key.address, [msg], fee)
      .then(async (res) => {
        if (res.code === 0) {
          run.committedCount = Math.max(run.committedCount, count);
          try {
            run.store.markConfirmed({ count, rootHash });
          } catch (err) {
            log("confirm_failed", { level: "warn", stage_height: run.stageHeight, count, error: describe(err) });
          }
          run.commits++;
          log("committed", { ...fields, height: res.height, tx: res.transactionHash });
        } else {
          log("commit_rejected", { level: "warn", ...fields, code: res.code, raw_log: res.rawLog });
          run.committedCount = Math.max(run.committedCount, await chainCount(run.stageHeight).catch(() => 0));
        }
      })
      .catch((err: unknown) => log("commit_failed", { level: "warn", ...fields, error: describe(err) }))
      .finally(() => {
        run.committing = false;
        maybeCommit(run);
      });
  };

  const chainCommitment = async (stageHeight: number) =>
    (await query.pocval.commitments(BigInt(stageHeight))).find((c) => c.participant === key.address);
  const chainCount = async (stageHeight: number): Promise<number> =>
    Number((await chainCommitment(stageHeight))?.count ?? 0n);

  /** Marks the chain's commitment confirmed in the store (a commit whose answer was lost, or a restart). */
  const reconcile = async (run: StageRun): Promise<void> => {
    const mine = await chainCommitment(run.stageHeight);
    if (!mine) return;
    run.committedCount = Math.max(run.committedCount, Number(mine.count));
    const snapshot = { count: Number(mine.count), rootHash: mine.rootHash };
    if (!run.store.markConfirmed(snapshot)) {
      log("commitment_not_held", { level: "error", stage_height: run.stageHeight, count: snapshot.count });
    }
  };

  const finish = async (run: StageRun): Promise<void> => {
    run.done = true;
    await run.generation;
    // The last commit may still be in flight: give it a moment, then align with the chain.
    for (let i = 0; run.committing && i < 100; i++) await sleepFor(20);
    await reconcile(run).catch((err: unknown) =>
      log("reconcile_failed", { level: "warn", stage_height: run.stageHeight, error: describe(err) }),
    );
    stores.release(run.stageHeight);
    finished.add(run.stageHeight);
    log("stage_done", {
      stage_height: run.stageHeight,
      leaves: run.store.size,
      computed: run.computed,
      committed_count: run.committedCount,
      commits: run.commits,
    });
  };

  const begin = async (info: StageInfo): Promise<StageRun> => {
    const stageHeight = Number(info.stageHeight);
    const { params } = await query.pocval.params();
    const store = stores.open(stageHeight, params.kDim);
    const all = stores.stages();
    if (all.length > config.keepStages) {
      const removed = stores.pruneBelow(all[all.length - config.keepStages]!);
      if (removed.length > 0) log("stores_pruned", { stages: removed });
    }
    const run: StageRun = {
      stageHeight,
      info,
      store,
      inputs: {
        stageHeight,
        generationSeed: info.generationSeed,
        model: params.model,
        seqLen: params.seqLen,
        kDim: params.kDim,
      },
      committedCount: 0,
      lastSentAt: 0n,
      committing: false,
      computed: 0,
      commits: 0,
      done: false,
      generation: Promise.resolve(),
    };
    await reconcile(run);
    log("stage_started", {
      stage_height: stageHeight,
      commit_end_height: Number(info.commitEndHeight),
      generation_seed: info.generationSeed,
      resumed_leaves: store.size,
      committed_count: run.committedCount,
      model: params.model,
      seq_len: params.seqLen,
      k_dim: params.kDim,
    });
    run.generation = generate(run).catch((err: unknown) =>
      log("generation_failed", { level: "error", stage_height: stageHeight, error: describe(err) }),
    );
    return run;
  };

  const follow = async (): Promise<void> => {
    await register();
    let failures = 0;
    while (!stopped()) {
      try {
        const { stage, currentHeight } = await query.pocval.stage();
        latestHeight = currentHeight;
        const stageHeight = Number(stage.stageHeight);
        seen.set(stageHeight, stage);
        if (seen.size > SEEN_STAGES) seen.delete(seen.keys().next().value!);
        if (active && (active.stageHeight !== stageHeight || currentHeight > active.info.commitEndHeight)) {
          const run = active;
          active = undefined;
          await finish(run);
        }
        const open =
          currentHeight >= stage.stageHeight && currentHeight < stage.commitEndHeight && stage.generationSeed !== "";
        if (!active && open && !finished.has(stageHeight)) {
          active = await begin(stage);
          last = active;
        }
        if (active) maybeCommit(active);
        failures = 0;
      } catch (err) {
        log("chain_retry", { level: "warn", error: describe(err), failures: failures + 1 });
        await sleep(backoff(failures++));
        continue;
      }
      await sleep(config.node.pollIntervalMs);
    }
  };

  const following = follow().catch((err: unknown) =>
    log("participant_failed", { level: "error", error: describe(err) }),
  );

  return {
    address: key.address,
    pocPublicKey,
    proofApiUrl,
    strategy: formatCheat(strategy),
    progress: () => ({
      stageHeight: last?.stageHeight,
      leaves: last?.store.size ?? 0,
      computed: last?.computed ?? 0,
      committedCount: last?.committedCount ?? 0,
      commits: last?.commits ?? 0,
      registered,
    }),
    async stop() {
      if (stopped()) return;
      abort.abort();
      await following;
      if (active) await finish(active);
      await server.stop();
      stores.close();
      unlock();
      signer.disconnect();
      log("participant_stopped", {});
    },
  };
}
