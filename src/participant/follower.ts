// The agent's stage-following job: polls the chain's current stage, opens a stage's store and
// starts its generation when its commit window opens, commits while it is open, and finishes it
// (aligned with the chain's commitment) when it closes.
import type { Params } from "../gen/pocval/v1/params.js";
import type { StageInfo } from "../gen/pocval/v1/types.js";
import { type AgentContext, backoff, describe } from "./agent-context.js";
import type { Committer } from "./commits.js";
import { type Backends, generate } from "./generation.js";
import type { StageRun } from "./stage-run.js";

/** Stage windows remembered (withhold reads them); older stages count as unknown. */
const SEEN_STAGES = 64;

export interface Follower {
  /** Polls until the agent stops. */
  run(): Promise<void>;
  /** Finishes the stage in progress (on stop). */
  finishActive(): Promise<void>;
  /** Last chain height polled. */
  latestHeight(): bigint;
  /** A stage's windows as last polled, if seen. */
  stage(stageHeight: number): StageInfo | undefined;
  /** The current (or last) stage's run. */
  last(): StageRun | undefined;
}

/** What the follower is given besides the agent's context. */
interface FollowerDeps {
  committer: Committer;
  backends: Backends;
  registered: () => boolean;
  /** The chain's params as read at each stage's start (the live proof_request_budget among them). */
  onParams?: (params: Params) => void;
}

/** The follower's state: the functions below share it. */
interface FollowerState {
  ctx: AgentContext;
  deps: FollowerDeps;
  latestHeight: bigint;
  seen: Map<number, StageInfo>;
  finished: Set<number>;
  active: StageRun | undefined;
  last: StageRun | undefined;
}

export function createFollower(ctx: AgentContext, deps: FollowerDeps): Follower {
  const state: FollowerState = {
    ctx,
    deps,
    latestHeight: 0n,
    seen: new Map(),
    finished: new Set(),
    active: undefined,
    last: undefined,
  };
  return {
    run: () => follow(state),
    async finishActive() {
      if (state.active) await finish(state, state.active);
    },
    latestHeight: () => state.latestHeight,
    stage: (stageHeight) => state.seen.get(stageHeight),
    last: () => state.last,
  };
}

/** Polls the chain's current stage until the agent stops, backing off while the chain fails. */
async function follow(state: FollowerState): Promise<void> {
  const { ctx } = state;
  let failures = 0;
  while (!ctx.stopped()) {
    try {
      await step(state);
      failures = 0;
    } catch (err) {
      ctx.log("chain_retry", { level: "warn", error: describe(err), failures: failures + 1 });
      await ctx.sleep(backoff(failures++));
      continue;
    }
    await ctx.sleep(ctx.config.node.pollIntervalMs);
  }
}

/** One poll: finishes the stage whose window closed, begins the one whose window opened, commits. */
async function step(state: FollowerState): Promise<void> {
  const { stage, currentHeight } = await state.ctx.chain.currentStage();
  state.latestHeight = currentHeight;
  const stageHeight = Number(stage.stageHeight);
  state.seen.set(stageHeight, stage);
  if (state.seen.size > SEEN_STAGES) state.seen.delete(state.seen.keys().next().value!);
  const { active } = state;
  if (active && (active.stageHeight !== stageHeight || currentHeight > active.info.commitEndHeight)) {
    state.active = undefined;
    await finish(state, active);
  }
  const open =
    currentHeight >= stage.stageHeight && currentHeight < stage.commitEndHeight && stage.generationSeed !== "";
  if (!state.active && open && !state.finished.has(stageHeight)) {
    state.active = await begin(state, stage);
    state.last = state.active;
  }
  if (state.active) state.deps.committer.maybeCommit(state.active, state.latestHeight, state.deps.registered());
}

/** Ends a stage's run: waits for its generation and last commit, aligns with the chain, releases its store. */
async function finish(state: FollowerState, run: StageRun): Promise<void> {
  const { log, stores } = state.ctx;
  run.done = true;
  await run.generation;
  // The last commit may still be in flight: give it a moment, then align with the chain.
  for (let i = 0; run.committing && i < 100; i++) await new Promise((r) => setTimeout(r, 20));
  await state.deps.committer
    .reconcile(run)
    .catch((err: unknown) =>
      log("reconcile_failed", { level: "warn", stage_height: run.stageHeight, error: describe(err) }),
    );
  stores.release(run.stageHeight);
  state.finished.add(run.stageHeight);
  log("stage_done", {
    stage_height: run.stageHeight,
    leaves: run.store.size,
    computed: run.computed,
    committed_count: run.committedCount,
    commits: run.commits,
  });
}

/** Opens a stage's store (pruning old ones), aligns with the chain's commitment and starts generating. */
async function begin(state: FollowerState, info: StageInfo): Promise<StageRun> {
  const { ctx, deps } = state;
  const { config, log, stores, chain } = ctx;
  const stageHeight = Number(info.stageHeight);
  const params = await chain.params();
  deps.onParams?.(params);
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
  await deps.committer.reconcile(run);
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
  run.generation = generate(ctx, run, deps.backends).catch((err: unknown) =>
    log("generation_failed", { level: "error", stage_height: stageHeight, error: describe(err) }),
  );
  return run;
}
