// The validator sidecar daemon: follows the chain, checks every committed participant of each
// stage once its sampling block exists, journals each decision, submits the votes in batches
// before the validation window closes, and reports what it does through metrics and logs.
import { createBackendClient } from "../backend/index.js";
import { openStageHeights, stageWindows } from "../core/index.js";
import { Reason, type StageInfo } from "../gen/pocval/v1/types.js";
import { connectChain, followBlocks, type SidecarChain, websocketUrl } from "./chain.js";
import { type CheckParams, parseCheckParams, reasonName, verdictName } from "./check.js";
import {
  type CheckerContext,
  type CheckOutcome,
  type CheckTarget,
  checkParticipant,
  type StageFacts,
} from "./checker.js";
import type { SidecarConfig } from "./config.js";
import { type Journal, openJournal } from "./journal.js";
import { loadValidatorKey, type ValidatorKey } from "./keys.js";
import { createLogger, type Logger } from "./log.js";
import { createMetrics, type MetricsServer, type SidecarMetrics, startMetricsServer } from "./metrics.js";
import { createProvePool, type ProvePool } from "./prove-pool.js";
import { createReachability } from "./reachability.js";
import { createRecomputeQueue, type RecomputeQueue } from "./recompute.js";
import { semaphore } from "./retry.js";
import { createVoteSubmitter, type VoteSubmitter } from "./votes.js";

export interface RunningSidecar {
  /** Base URL of the metrics server (`${metricsUrl}/metrics`, `${metricsUrl}/healthz`); "" when disabled. */
  metricsUrl: string;
  /** The validator address the sidecar votes as. */
  address: string;
  stop(): Promise<void>;
}

export interface StartSidecarOptions {
  /** Where logs go (stderr by default). */
  logStream?: NodeJS.WritableStream & { isTTY?: boolean };
}

/** A stage being worked on. */
interface StageRun {
  info: StageInfo;
  controller: AbortController;
  done: Promise<void>;
  total: number;
  finished: number;
}

/**
 * Starts the sidecar. The journal makes it restartable at any point: decisions are never made
 * twice and a vote is never sent twice.
 * @example const sidecar = await startSidecar(await loadSidecarConfig("sidecar.yaml"));
 */
export async function startSidecar(config: SidecarConfig, options: StartSidecarOptions = {}): Promise<RunningSidecar> {
  const log = createLogger({ level: config.log.level, progress: config.log.progress, stream: options.logStream });
  const key = await loadValidatorKey(config.key);
  const metrics = createMetrics();
  const journal = openJournal(config.journal.path);
  const stopController = new AbortController();
  let chain: SidecarChain | undefined;
  let metricsServer: MetricsServer | undefined;
  let recompute: RecomputeQueue | undefined;
  let provePool: ProvePool | undefined;
  try {
    chain = await connectChain({
      rpcUrl: config.node.rpcUrl,
      timeoutMs: config.node.requestTimeoutMs,
      key,
      gasPrice: config.votes.gasPrice,
    });
    recompute = createRecomputeQueue({
      backends: config.backend.urls.map((url) =>
        createBackendClient({
          url,
          timeoutMs: config.backend.timeoutMs,
          retries: 0,
          batchSize: config.backend.batchSize,
          concurrency: 1,
        }),
      ),
      concurrency: config.backend.concurrency,
      batchSize: config.backend.batchSize,
      retry: config.backend.retry,
      onRequest: (e) => {
        metrics.backendLatency.observe({ backend: e.backend }, e.seconds);
        if (e.error) {
          metrics.backendErrors.inc({ backend: e.backend });
          log.warn("backend request failed; retrying", {
            backend: e.backend,
            nonces: e.nonces,
            error: e.error.message,
          });
        } else metrics.noncesRecomputed.inc(e.nonces);
      },
    });
    if (config.proofApi.workers > 0) provePool = createProvePool(config.proofApi.workers);
    const daemon = createDaemon({
      config,
      key,
      log,
      metrics,
      journal,
      chain,
      recompute,
      prove: provePool?.prove,
      signal: stopController.signal,
    });
    if (config.metrics.enabled) {
      metricsServer = await startMetricsServer({
        host: config.metrics.host,
        port: config.metrics.port,
        metrics,
        health: daemon.health,
      });
    }
    log.info("sidecar started", {
      validator: key.address,
      node: config.node.rpcUrl,
      backends: config.backend.urls,
      journal: config.journal.path,
      metrics: metricsServer?.url ?? null,
    });
    const follower = followBlocks({
      rpcUrl: config.node.rpcUrl,
      wsUrl: config.node.wsUrl ?? websocketUrl(config.node.rpcUrl),
      timeoutMs: config.node.requestTimeoutMs,
      pollIntervalMs: config.node.pollIntervalMs,
      wsStallMs: config.node.wsStallMs,
      log,
      onHeight: daemon.onHeight,
    });
    daemon.attach(follower);
    const started = { chain, recompute, metricsServer, provePool };
    return {
      metricsUrl: metricsServer?.url ?? "",
      address: key.address,
      async stop() {
        stopController.abort(new Error("the sidecar is stopping"));
        follower.stop();
        await daemon.idle();
        started.recompute.close();
        await started.provePool?.close();
        await started.metricsServer?.stop();
        started.chain.close();
        journal.close();
        log.info("sidecar stopped");
      },
    };
  } catch (err) {
    stopController.abort();
    recompute?.close();
    await provePool?.close();
    await metricsServer?.stop();
    chain?.close();
    journal.close();
    throw err;
  }
}

interface DaemonDeps {
  config: SidecarConfig;
  key: ValidatorKey;
  log: Logger;
  metrics: SidecarMetrics;
  journal: Journal;
  chain: SidecarChain;
  recompute: RecomputeQueue;
  prove?: CheckerContext["prove"];
  signal: AbortSignal;
}

/** The per-height logic, separated from startup so that its state is in one place. */
function createDaemon(deps: DaemonDeps) {
  const { config, key, log, metrics, journal, chain, recompute, prove, signal } = deps;
  const stages = new Map<bigint, StageRun>();
  const closed = new Set<bigint>();
  const proofGate = semaphore(config.proofApi.concurrency);
  const submitter: VoteSubmitter = createVoteSubmitter({
    chain,
    journal,
    validatorAddress: key.address,
    votes: config.votes,
    metrics,
    log,
    signal,
  });
  let follower: { height(): bigint; live(): boolean; sinceLastBlockMs(): number } | undefined;
  let processed = 0n;
  let latest = 0n;
  let timing: Awaited<ReturnType<SidecarChain["params"]>>["timing"] | undefined;
  let ticking: Promise<void> | undefined;
  let again = false;
  let restartResolved = false;
  const background = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    background.add(p);
    void p.finally(() => background.delete(p)).catch(() => undefined);
    return p;
  };

  function progress(): void {
    const parts = [...stages.entries()].map(([h, r]) => `stage ${h}: ${r.finished}/${r.total}`);
    const c = journal.counts();
    const q = recompute.load();
    log.progress(
      `height ${latest}${follower?.live() ? "" : " (polling)"} | ${parts.join(", ") || "idle"} | votes pending ${c.pending + c.in_flight}, on chain ${c.submitted} | backend queue ${q.queued}+${q.inFlight}`,
    );
  }

  async function tick(height: bigint): Promise<void> {
    if (!restartResolved) {
      await submitter.resolveInFlight();
      restartResolved = true;
    }
    timing ??= (await chain.params()).timing;
    // Running stages too: a stage leaves openStageHeights the height after its window closes.
    const candidates = new Set([...openStageHeights(timing, height), ...stages.keys()]);
    for (const stageHeight of candidates) {
      if (closed.has(stageHeight)) continue;
      let run = stages.get(stageHeight);
      if (!run) {
        const info = await chain.stage(stageHeight);
        if (info.samplingBlockHash === "" || info.generationSeed === "") continue;
        const deadline = info.validationEndHeight - BigInt(config.votes.deadlineMarginBlocks);
        if (height >= deadline) {
          closed.add(stageHeight);
          continue;
        }
        run = startStage(info);
        stages.set(stageHeight, run);
      }
      const { info } = run;
      if (height >= info.validationEndHeight - BigInt(config.votes.deadlineMarginBlocks)) {
        run.controller.abort(
          new Error(`stage ${stageHeight}: the validation window closes at ${info.validationEndHeight}`),
        );
      }
      if (height >= info.validationStartHeight && height <= info.validationEndHeight) {
        void track(submitter.flush(stageHeight));
      }
      if (height > info.validationEndHeight) {
        const left = journal.pending(stageHeight).map((d) => d.participant);
        if (left.length > 0) {
          journal.markExpired(stageHeight, left);
          log.error("validation window closed with votes unsent", { stage: stageHeight, votes: left.length });
        }
        closed.add(stageHeight);
        stages.delete(stageHeight);
      }
    }
    // Stages the journal still has votes for but that are past their window (a long downtime).
    for (const stageHeight of journal.openStages()) {
      if (stages.has(stageHeight) || !timing) continue;
      const windows = stageWindows(timing, stageHeight);
      if (height > windows.validationEnd) {
        const left = journal.pending(stageHeight).map((d) => d.participant);
        if (left.length > 0) {
          journal.markExpired(stageHeight, left);
          log.error("validation window closed with votes unsent", { stage: stageHeight, votes: left.length });
        }
      } else if (height > windows.samplingHeight) {
        void track(submitter.flush(stageHeight));
      }
    }
    processed = height;
    metrics.chainLag.set(Number(latest - processed));
    progress();
  }

  function startStage(info: StageInfo): StageRun {
    const controller = new AbortController();
    const stageSignal = AbortSignal.any([controller.signal, signal]);
    const run: StageRun = { info, controller, done: Promise.resolve(), total: 0, finished: 0 };
    run.done = track(
      checkStage(info, stageSignal, run).catch((err: Error) => {
        // Chain reads failed (the sidecar's fault): forget the run, so the next height retries.
        if (!stageSignal.aborted) {
          log.warn("stage setup failed; will retry", { stage: info.stageHeight, error: err.message });
          stages.delete(info.stageHeight);
        }
      }),
    );
    return run;
  }

  async function checkStage(info: StageInfo, stageSignal: AbortSignal, run: StageRun): Promise<void> {
    const stageHeight = info.stageHeight;
    const [{ params, timing: current }, participants, commitments, myVotes] = await Promise.all([
      chain.params(),
      chain.participants(),
      chain.commitments(stageHeight),
      chain.myVotes(stageHeight),
    ]);
    // Governance may change the timing: later heights use what the chain says now.
    timing = current;
    let checkParams: CheckParams;
    try {
      checkParams = parseCheckParams(params);
    } catch (err) {
      log.error("chain params do not parse; abstaining on the whole stage", {
        stage: stageHeight,
        error: (err as Error).message,
      });
      for (const c of commitments) {
        journal.recordAbstention(stageHeight, c.participant, "params");
        metrics.abstentions.inc({ cause: "params" });
      }
      return;
    }
    const registered = new Map(participants.map((p) => [p.address, p]));
    const voted = new Set(myVotes.map((v) => v.vote?.participant ?? ""));
    const facts: StageFacts = {
      stageHeight,
      samplingBlockHash: info.samplingBlockHash,
      generationSeed: info.generationSeed,
      params: checkParams,
    };
    const targets: CheckTarget[] = [];
    for (const c of commitments) {
      if (c.participant === key.address) continue;
      if (journal.decision(stageHeight, c.participant) !== undefined) continue;
      if (voted.has(c.participant)) continue;
      const p = registered.get(c.participant);
      targets.push({
        address: c.participant,
        // An unregistered committer has no proof API: it cannot show its commitment.
        pocPublicKey: p?.pocPublicKey ?? "",
        proofApiUrl: p?.proofApiUrl ?? "",
        count: c.count,
        rootHash: c.rootHash,
      });
    }
    // A participant that answered in an earlier run of this stage proves the sidecar can reach them.
    const reachability = createReachability(
      commitments.some((c) => {
        const d = journal.decision(stageHeight, c.participant);
        return d !== undefined && d.vote.reason !== Reason.REASON_UNAVAILABLE;
      }),
    );
    run.total = targets.length;
    log.info("checking stage", {
      stage: stageHeight,
      committed: commitments.length,
      to_check: targets.length,
      sampling_block_hash: info.samplingBlockHash,
    });
    await Promise.all(
      targets.map(async (target) => {
        let outcome = await checkParticipant(
          {
            validatorAddress: key.address,
            privateKey: key.privateKey,
            proofApi: config.proofApi,
            recompute,
            proofGate: (fn) => proofGate.run(fn),
            prove,
            onProofsFetched: () => reachability.markReached(),
            onProofFailure: (t, err) => {
              metrics.proofFailures.inc({ kind: err.kind });
              log.info("proof request failed", {
                stage: stageHeight,
                participant: t.address,
                attempt: err.attempt,
                kind: err.kind,
                error: err.message,
              });
            },
          },
          facts,
          target,
          stageSignal,
        );
        // UNAVAILABLE only once some proof API answered this stage: if none ever does, the
        // sidecar's own network or clock is the likelier fault, and it abstains.
        if (outcome.kind === "vote" && outcome.vote.reason === Reason.REASON_UNAVAILABLE) {
          if (!(await reachability.waitReached(stageSignal))) {
            outcome = {
              kind: "abstain",
              cause: "no_participant_reachable",
              detail: `no proof API answered this stage, so ${target.address} is not blamed: ${outcome.detail}`,
            };
          }
        }
        record(stageHeight, target, outcome);
        run.finished++;
        progress();
      }),
    );
  }

  function record(stageHeight: bigint, target: CheckTarget, outcome: CheckOutcome): void {
    if (outcome.kind === "abstain") {
      journal.recordAbstention(stageHeight, target.address, `${outcome.cause}: ${outcome.detail}`);
      metrics.participantsChecked.inc({ outcome: "abstain" });
      metrics.abstentions.inc({ cause: outcome.cause });
      log.warn("abstaining", {
        stage: stageHeight,
        participant: target.address,
        cause: outcome.cause,
        detail: outcome.detail,
      });
      return;
    }
    const { vote } = outcome;
    const fresh = journal.recordDecision(stageHeight, vote);
    metrics.participantsChecked.inc({ outcome: "vote" });
    if (!fresh) return;
    const labels = { verdict: verdictName(vote.verdict), reason: reasonName(vote.reason) };
    metrics.votesDecided.inc(labels);
    metrics.noncesChecked.inc(vote.checked);
    metrics.mismatches.inc(vote.mismatches);
    log.info("decided", {
      stage: stageHeight,
      participant: target.address,
      ...labels,
      checked: vote.checked,
      mismatches: vote.mismatches,
      p_value: vote.pValue,
      detail: outcome.detail,
    });
    const run = stages.get(stageHeight);
    if (run && latest >= run.info.validationStartHeight) void track(submitter.flush(stageHeight));
  }

  return {
    attach(f: typeof follower) {
      follower = f;
    },
    onHeight(height: bigint) {
      latest = height;
      metrics.chainHeight.set(Number(height));
      metrics.chainLag.set(Number(latest - processed));
      if (signal.aborted) return;
      if (ticking) {
        again = true;
        return;
      }
      const loop = async () => {
        do {
          again = false;
          try {
            await tick(latest);
          } catch (err) {
            if (!signal.aborted)
              log.warn("chain read failed; will retry at the next height", { error: (err as Error).message });
          }
        } while (again && !signal.aborted);
        ticking = undefined;
      };
      ticking = track(loop());
    },
    health() {
      const since = follower?.sinceLastBlockMs() ?? Number.POSITIVE_INFINITY;
      const c = journal.counts();
      return {
        ok: latest > 0n && since < Math.max(60_000, config.node.wsStallMs * 3),
        validator: key.address,
        height: latest,
        processed,
        websocket: follower?.live() ?? false,
        ms_since_last_block: Number.isFinite(since) ? since : null,
        votes: c,
        stages: [...stages.values()].map((r) => ({ stage: r.info.stageHeight, checked: r.finished, total: r.total })),
        recompute: recompute.load(),
      };
    },
    async idle() {
      for (const run of stages.values()) run.controller.abort(signal.reason);
      while (background.size > 0) await Promise.allSettled([...background]);
    },
  };
}
