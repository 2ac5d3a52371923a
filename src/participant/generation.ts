// The agent's generation job: computes nonces 0, 1, 2, ... of a stage on its backend (as its
// strategy says), up to `concurrency` batches ahead of the store, appended in order.
import { type AgentContext, backoff, describe } from "./agent-context.js";
import { strategyCompute, type VectorBackend } from "./compute.js";
import { appendPrepared, type PreparedBatch, prepareBatch } from "./generate.js";
import { replayKeyFor } from "./registration.js";
import type { StageRun } from "./stage-run.js";

export interface Backends {
  backend: VectorBackend;
  int4Backend?: VectorBackend;
}

/** Generates until the stage's run is done, the agent stops, or the nonce budget is reached. */
export async function generate(ctx: AgentContext, run: StageRun, backends: Backends): Promise<void> {
  const { config, strategy, log } = ctx;
  const compute = strategyCompute(strategy, run.inputs, {
    backend: backends.backend,
    int4Backend: backends.int4Backend,
    publicKey: ctx.pocPublicKey,
    replayPublicKey: strategy.kind === "replay" ? await replayKeyFor(ctx) : ctx.pocPublicKey,
    machineId: ctx.key.address,
    signal: ctx.signal,
  });
  const randomSeed = new TextEncoder().encode(`${run.inputs.generationSeed}/${ctx.key.address}`);
  const started = performance.now();
  let lastProgress = 0;
  let failures = 0;
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
  while (!run.done && !ctx.stopped() && run.store.size < config.generation.maxNonces) {
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
      if (run.done || ctx.stopped()) break;
      const delay = backoff(failures++);
      log("generation_retry", {
        level: "warn",
        stage_height: run.stageHeight,
        error: describe(err),
        retry_in_ms: Math.round(delay),
      });
      await ctx.sleep(delay);
    }
  }
  await Promise.allSettled(inFlight);
  if (run.store.size >= config.generation.maxNonces) {
    log("nonce_budget_reached", { stage_height: run.stageHeight, leaves: run.store.size });
  }
}
