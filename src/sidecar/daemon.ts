// The sidecar's per-height loop: at each new height it opens the stages whose sampling block
// exists, runs their checks (stage-check.ts), flushes journaled votes while the validation window
// is open and expires those it closed on, and answers /healthz from the same state.
import { checkDeadlineMs, openStageHeights, stageWindows } from "../core/index.js";
import type { StageInfo } from "../gen/pocval/v1/types.js";
import { semaphore } from "../net/index.js";
import { type BlockRate, createBlockRate } from "./block-rate.js";
import type { SidecarChain } from "./chain.js";
import { assessHealth, type FailureClock } from "./health.js";
import { checkStage, type StageCheckDeps } from "./stage-check.js";
import { createVoteSubmitter, type VoteSubmitter } from "./votes.js";

/** A stage being worked on. */
interface StageRun {
  info: StageInfo;
  controller: AbortController;
  done: Promise<void>;
  total: number;
  finished: number;
}

/** The stage checks' parts (less the proof gate, which the daemon makes) and what the daemon adds. */
export interface DaemonDeps extends Omit<StageCheckDeps, "proofGate"> {
  /** Failures of the backends and the chain, for /healthz. */
  failures: FailureClock;
  signal: AbortSignal;
}

/** What the follower tells the daemon about the blocks it sees. */
interface BlockFollower {
  height(): bigint;
  live(): boolean;
  sinceLastBlockMs(): number;
}

/** The daemon's state in one place: the functions below read and change it. */
interface DaemonState {
  deps: DaemonDeps;
  checkDeps: StageCheckDeps;
  submitter: VoteSubmitter;
  stages: Map<bigint, StageRun>;
  closed: Set<bigint>;
  // The block time, hence a stage's length in time for /healthz and the proofs' deadline.
  blockRate: BlockRate;
  follower: BlockFollower | undefined;
  processed: bigint;
  latest: bigint;
  timing: Awaited<ReturnType<SidecarChain["params"]>>["timing"] | undefined;
  ticking: Promise<void> | undefined;
  again: boolean;
  restartResolved: boolean;
  background: Set<Promise<unknown>>;
}

/**
 * The per-height logic, separated from startup so that its state is in one place: which stages are
 * open, starting their checks once the sampling block exists, flushing votes inside the validation
 * window and expiring what the window closed on.
 */
export function createDaemon(deps: DaemonDeps) {
  const { config, key, log, metrics, journal, chain, signal } = deps;
  const state: DaemonState = {
    deps,
    checkDeps: { ...deps, proofGate: semaphore(config.proofApi.concurrency) },
    submitter: createVoteSubmitter({
      chain,
      journal,
      validatorAddress: key.address,
      votes: config.votes,
      metrics,
      log,
      signal,
    }),
    stages: new Map(),
    closed: new Set(),
    blockRate: createBlockRate(),
    follower: undefined,
    processed: 0n,
    latest: 0n,
    timing: undefined,
    ticking: undefined,
    again: false,
    restartResolved: false,
    background: new Set(),
  };
  return {
    attach(f: BlockFollower | undefined) {
      state.follower = f;
    },
    onHeight: (height: bigint) => onHeight(state, height),
    health: () => health(state),
    idle: () => idle(state),
  };
}

/** Keeps a background promise until it settles, so idle() can wait for it. */
function track<T>(state: DaemonState, p: Promise<T>): Promise<T> {
  state.background.add(p);
  void p.finally(() => state.background.delete(p)).catch(() => undefined);
  return p;
}

function progress(state: DaemonState): void {
  const { journal, recompute, log } = state.deps;
  const parts = [...state.stages.entries()].map(([h, r]) => `stage ${h}: ${r.finished}/${r.total}`);
  const c = journal.counts();
  const q = recompute.load();
  log.progress(
    `height ${state.latest}${state.follower?.live() ? "" : " (polling)"} | ${parts.join(", ") || "idle"} | votes pending ${c.pending + c.in_flight}, on chain ${c.submitted} | backend queue ${q.queued}+${q.inFlight}`,
  );
}

/** A new height: records it and runs tick() for it, once at a time (a height seen meanwhile runs next). */
function onHeight(state: DaemonState, height: bigint): void {
  const { metrics, signal, failures, log } = state.deps;
  state.latest = height;
  state.blockRate.observe(height, Date.now());
  metrics.chainHeight.set(Number(height));
  metrics.chainLag.set(Number(state.latest - state.processed));
  if (signal.aborted) return;
  if (state.ticking) {
    state.again = true;
    return;
  }
  const loop = async () => {
    do {
      state.again = false;
      try {
        await tick(state, state.latest);
        failures.succeed("chain");
      } catch (err) {
        if (!signal.aborted) {
          failures.fail("chain", (err as Error).message, Date.now());
          log.warn("chain read failed; will retry at the next height", { error: (err as Error).message });
        }
      }
    } while (state.again && !signal.aborted);
    state.ticking = undefined;
  };
  state.ticking = track(state, loop());
}

async function tick(state: DaemonState, height: bigint): Promise<void> {
  const { chain, metrics } = state.deps;
  if (!state.restartResolved) {
    await state.submitter.resolveInFlight();
    state.restartResolved = true;
  }
  state.timing ??= (await chain.params()).timing;
  // Running stages too: a stage leaves openStageHeights the height after its window closes.
  const candidates = new Set([...openStageHeights(state.timing, height), ...state.stages.keys()]);
  for (const stageHeight of candidates) {
    if (!state.closed.has(stageHeight)) await advanceStage(state, stageHeight, height);
  }
  flushJournaledStages(state, height);
  state.processed = height;
  metrics.chainLag.set(Number(state.latest - state.processed));
  progress(state);
}

/** One open stage at this height: starts its checks, stops them at the deadline, flushes, closes it. */
async function advanceStage(state: DaemonState, stageHeight: bigint, height: bigint): Promise<void> {
  const { chain, config } = state.deps;
  const margin = BigInt(config.votes.deadlineMarginBlocks);
  let run = state.stages.get(stageHeight);
  if (!run) {
    const info = await chain.stage(stageHeight);
    if (info.samplingBlockHash === "" || info.generationSeed === "") return;
    if (height >= info.validationEndHeight - margin) {
      state.closed.add(stageHeight);
      return;
    }
    run = startStage(state, info);
    state.stages.set(stageHeight, run);
  }
  const { info } = run;
  if (height >= info.validationEndHeight - margin) {
    run.controller.abort(
      new Error(`stage ${stageHeight}: the validation window closes at ${info.validationEndHeight}`),
    );
  }
  if (height >= info.validationStartHeight && height <= info.validationEndHeight) {
    void track(state, state.submitter.flush(stageHeight));
  }
  if (height > info.validationEndHeight) {
    expireUnsent(state, stageHeight);
    state.closed.add(stageHeight);
    state.stages.delete(stageHeight);
  }
}

/** Stages the journal still has votes for but that are past their window (a long downtime). */
function flushJournaledStages(state: DaemonState, height: bigint): void {
  const { timing } = state;
  for (const stageHeight of state.deps.journal.openStages()) {
    if (state.stages.has(stageHeight) || !timing) continue;
    const windows = stageWindows(timing, stageHeight);
    if (height > windows.validationEnd) expireUnsent(state, stageHeight);
    else if (height > windows.samplingHeight) void track(state, state.submitter.flush(stageHeight));
  }
}

/** The validation window closed: the stage's votes still pending will never be sent. */
function expireUnsent(state: DaemonState, stageHeight: bigint): void {
  const { journal, log } = state.deps;
  const left = journal.pending(stageHeight).map((d) => d.participant);
  if (left.length > 0) {
    journal.markExpired(stageHeight, left);
    log.error("validation window closed with votes unsent", { stage: stageHeight, votes: left.length });
  }
}

/**
 * When a stage's proof requests should be done (docs/protocol.md "Availability"): the validation
 * window's end less the vote's margin and one block to recompute, at the measured block rate.
 */
function proofsDeadlineMs(state: DaemonState, info: StageInfo): number | undefined {
  const now = Date.now();
  return checkDeadlineMs({
    nowMs: now,
    height: state.latest,
    validationEndHeight: info.validationEndHeight,
    marginBlocks: state.deps.config.votes.deadlineMarginBlocks,
    reserveBlocks: RECOMPUTE_RESERVE_BLOCKS,
    // Two intervals at least: one may be cut short by when the daemon happened to start.
    blockMs: state.blockRate.blockMs(2),
  });
}

/** Blocks kept, after the last proof request's deadline, for recomputing what it brings. */
const RECOMPUTE_RESERVE_BLOCKS = 1;

function startStage(state: DaemonState, info: StageInfo): StageRun {
  const { signal, failures, log } = state.deps;
  const controller = new AbortController();
  const stageSignal = AbortSignal.any([controller.signal, signal]);
  const run: StageRun = { info, controller, done: Promise.resolve(), total: 0, finished: 0 };
  run.done = track(
    state,
    checkStage(
      state.checkDeps,
      info,
      stageSignal,
      run,
      {
        // Governance may change the timing: later heights use what the chain says now.
        onTiming: (current) => {
          state.timing = current;
        },
        onOutcome: (decided) => {
          if (decided && state.latest >= info.validationStartHeight) {
            void track(state, state.submitter.flush(info.stageHeight));
          }
          progress(state);
        },
      },
      proofsDeadlineMs(state, info),
    ).catch((err: Error) => {
      // Chain reads failed (the sidecar's fault): forget the run, so the next height retries.
      if (!stageSignal.aborted) {
        failures.fail("chain", err.message, Date.now());
        log.warn("stage setup failed; will retry", { stage: info.stageHeight, error: err.message });
        state.stages.delete(info.stageHeight);
      }
    }),
  );
  return run;
}

/** The /healthz answer: the assessed health and what the daemon is doing. */
function health(state: DaemonState) {
  const { config, key, journal, recompute, failures } = state.deps;
  const { latest, timing, follower } = state;
  const since = follower?.sinceLastBlockMs() ?? Number.POSITIVE_INFINITY;
  const c = journal.counts();
  const now = Date.now();
  const blockMs = state.blockRate.blockMs();
  const stageMs = timing && blockMs !== undefined ? Number(timing.stageLength) * blockMs : undefined;
  const assessed = assessHealth({
    nowMs: now,
    latestHeight: latest,
    sinceLastBlockMs: since,
    stageMs,
    blockStallMs: Math.max(60_000, config.node.wsStallMs * 3),
    failing: failures.failing(),
  });
  return {
    ...assessed,
    validator: key.address,
    height: latest,
    processed: state.processed,
    websocket: follower?.live() ?? false,
    ms_since_last_block: Number.isFinite(since) ? since : null,
    stage_ms: stageMs ?? null,
    votes: c,
    stages: [...state.stages.values()].map((r) => ({ stage: r.info.stageHeight, checked: r.finished, total: r.total })),
    recompute: recompute.load(),
  };
}

/** Stops the stages' checks and waits for everything in the background to settle. */
async function idle(state: DaemonState): Promise<void> {
  for (const run of state.stages.values()) run.controller.abort(state.deps.signal.reason);
  while (state.background.size > 0) await Promise.allSettled([...state.background]);
}
