// The sidecar's per-height loop: at each new height it opens the stages whose sampling block
// exists, runs their checks (stage-check.ts), flushes journaled votes while the validation window
// is open and expires those it closed on, and answers /healthz from the same state.
import { openStageHeights, stageWindows } from "../core/index.js";
import type { StageInfo } from "../gen/pocval/v1/types.js";
import { semaphore } from "../net/index.js";
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

/**
 * The per-height logic, separated from startup so that its state is in one place: which stages are
 * open, starting their checks once the sampling block exists, flushing votes inside the validation
 * window and expiring what the window closed on.
 */
export function createDaemon(deps: DaemonDeps) {
  const { config, key, log, metrics, journal, chain, recompute, failures, signal } = deps;
  // The first height seen and when: the block time, hence a stage's length in time, for /healthz.
  let firstSeen: { height: bigint; atMs: number } | undefined;
  const stages = new Map<bigint, StageRun>();
  const closed = new Set<bigint>();
  const checkDeps: StageCheckDeps = { ...deps, proofGate: semaphore(config.proofApi.concurrency) };
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
      checkStage(checkDeps, info, stageSignal, run, {
        // Governance may change the timing: later heights use what the chain says now.
        onTiming: (current) => {
          timing = current;
        },
        onOutcome: (decided) => {
          if (decided && latest >= info.validationStartHeight) void track(submitter.flush(info.stageHeight));
          progress();
        },
      }).catch((err: Error) => {
        // Chain reads failed (the sidecar's fault): forget the run, so the next height retries.
        if (!stageSignal.aborted) {
          failures.fail("chain", err.message, Date.now());
          log.warn("stage setup failed; will retry", { stage: info.stageHeight, error: err.message });
          stages.delete(info.stageHeight);
        }
      }),
    );
    return run;
  }

  return {
    attach(f: typeof follower) {
      follower = f;
    },
    onHeight(height: bigint) {
      latest = height;
      firstSeen ??= { height, atMs: Date.now() };
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
            failures.succeed("chain");
          } catch (err) {
            if (!signal.aborted) {
              failures.fail("chain", (err as Error).message, Date.now());
              log.warn("chain read failed; will retry at the next height", { error: (err as Error).message });
            }
          }
        } while (again && !signal.aborted);
        ticking = undefined;
      };
      ticking = track(loop());
    },
    health() {
      const since = follower?.sinceLastBlockMs() ?? Number.POSITIVE_INFINITY;
      const c = journal.counts();
      const now = Date.now();
      const blocks = firstSeen ? Number(latest - firstSeen.height) : 0;
      const blockMs = firstSeen && blocks > 0 ? (now - firstSeen.atMs) / blocks : undefined;
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
        processed,
        websocket: follower?.live() ?? false,
        ms_since_last_block: Number.isFinite(since) ? since : null,
        stage_ms: stageMs ?? null,
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
