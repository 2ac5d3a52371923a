// The agent's stage-following job: polls the chain's current stage, opens a stage's store and
// starts its generation when its commit window opens, commits while it is open, and finishes it
// (aligned with the chain's commitment) when it closes.
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

export function createFollower(
  ctx: AgentContext,
  deps: { committer: Committer; backends: Backends; registered: () => boolean },
): Follower {
  const { config, log, stores, chain } = ctx;
  let latestHeight = 0n;
  const seen = new Map<number, StageInfo>();
  const finished = new Set<number>();
  let active: StageRun | undefined;
  let last: StageRun | undefined;

  const finish = async (run: StageRun): Promise<void> => {
    run.done = true;
    await run.generation;
    // The last commit may still be in flight: give it a moment, then align with the chain.
    for (let i = 0; run.committing && i < 100; i++) await new Promise((r) => setTimeout(r, 20));
    await deps.committer
      .reconcile(run)
      .catch((err: unknown) =>
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
    const params = await chain.params();
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
  };

  const run = async (): Promise<void> => {
    let failures = 0;
    while (!ctx.stopped()) {
      try {
        const { stage, currentHeight } = await chain.currentStage();
        latestHeight = currentHeight;
        const stageHeight = Number(stage.stageHeight);
        seen.set(stageHeight, stage);
        if (seen.size > SEEN_STAGES) seen.delete(seen.keys().next().value!);
        if (active && (active.stageHeight !== stageHeight || currentHeight > active.info.commitEndHeight)) {
          const done = active;
          active = undefined;
          await finish(done);
        }
        const open =
          currentHeight >= stage.stageHeight && currentHeight < stage.commitEndHeight && stage.generationSeed !== "";
        if (!active && open && !finished.has(stageHeight)) {
          active = await begin(stage);
          last = active;
        }
        if (active) deps.committer.maybeCommit(active, latestHeight, deps.registered());
        failures = 0;
      } catch (err) {
        log("chain_retry", { level: "warn", error: describe(err), failures: failures + 1 });
        await ctx.sleep(backoff(failures++));
        continue;
      }
      await ctx.sleep(config.node.pollIntervalMs);
    }
  };

  return {
    run,
    async finishActive() {
      if (active) await finish(active);
    },
    latestHeight: () => latestHeight,
    stage: (stageHeight) => seen.get(stageHeight),
    last: () => last,
  };
}
