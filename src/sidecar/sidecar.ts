// The validator sidecar daemon: follows the chain, checks every committed participant of each
// stage once its sampling block exists, journals each decision, submits the votes in batches
// before the validation window closes, and reports what it does through metrics and logs.
// This file starts and stops the parts; daemon.ts is the per-height loop, stage-check.ts one stage's checks.

import { Wallet } from "ethers";
import { createBackendClient } from "../backend/index.js";
import { PocvalError, toHex } from "../core/index.js";
import { type LoopDelayWatch, packageVersion, watchLoopDelay } from "../net/index.js";
import { type Adversary, formatAdversary } from "./adversary.js";
import type { SidecarChain } from "./chain.js";
import { connectCosmosSidecarChain } from "./chain-cosmos.js";
import { connectEvmSidecarChain } from "./chain-evm.js";
import type { SidecarConfig } from "./config.js";
import { createDaemon } from "./daemon.js";
import { nodeChainId } from "./doctor-chain.js";
import { type FailureClock, failureClock } from "./health.js";
import { registerHealthMetrics } from "./health-metrics.js";
import { type Journal, openJournal } from "./journal.js";
import { lockJournal } from "./journal-lock.js";
import { loadValidatorKey, type ValidatorKey } from "./keys.js";
import { createLogger, type Logger } from "./log.js";
import { createMetrics, type MetricsServer, type SidecarMetrics, startMetricsServer } from "./metrics.js";
import { createProvePool, type ProvePool } from "./prove-pool.js";
import { createRecomputeQueue, type RecomputeQueue } from "./recompute.js";

/** How often each backend's status is asked for /healthz, and how long an answer may take. */
const BACKEND_PROBE_MS = 5_000;
const BACKEND_PROBE_TIMEOUT_MS = 5_000;

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
  /** A drill's adversarial voting (`--adversary`); deliberately not a config field. */
  adversary?: Adversary;
}

/**
 * Starts the sidecar. The journal makes it restartable at any point: decisions are never made
 * twice and a vote is never sent twice.
 * @example const sidecar = await startSidecar(await loadSidecarConfig("sidecar.yaml"));
 */
export async function startSidecar(config: SidecarConfig, options: StartSidecarOptions = {}): Promise<RunningSidecar> {
  const log = createLogger({ level: config.log.level, progress: config.log.progress, stream: options.logStream });
  const key = await loadValidatorKey(config.key, config.chain.kind);
  if (options.adversary) {
    log.warn("ADVERSARY MODE: this sidecar votes falsely on purpose (a drill); never run it on a real network", {
      adversary: formatAdversary(options.adversary),
      validator: key.address,
    });
  }
  const metrics = createMetrics();
  if (config.chain.id !== undefined) await refuseWrongChain(config, log);
  const failures = failureClock();
  const lock = lockJournal(config.journal.path);
  let journal: Journal;
  try {
    journal = openJournal(config.journal.path);
  } catch (err) {
    lock.release();
    throw err;
  }
  const stopController = new AbortController();
  const parts: SidecarParts = { loop: watchLoop(log) };
  try {
    const chain = await connectChain(config, key, log);
    parts.chain = chain;
    const recompute = createRecompute(config, metrics, failures, log);
    parts.recompute = recompute;
    if (config.proofApi.workers > 0) parts.provePool = createProvePool(config.proofApi.workers);
    const daemon = createDaemon({
      config,
      key,
      log,
      metrics,
      journal,
      chain,
      recompute,
      prove: parts.provePool?.prove,
      adversary: options.adversary,
      failures,
      signal: stopController.signal,
    });
    parts.probes = probeBackends(config.backend.urls, failures, stopController.signal);
    registerHealthMetrics(metrics.registry, {
      backends: config.backend.urls,
      failing: () => failures.failing(),
      health: daemon.health,
      journalCounts: () => journal.counts(),
      loop: parts.loop,
      info: { version: packageVersion(), chain: config.chain.kind, validator: key.address },
    });
    if (config.metrics.enabled) {
      parts.metricsServer = await startMetricsServer({
        host: config.metrics.host,
        port: config.metrics.port,
        metrics,
        health: daemon.health,
        evidence: (stageHeight, participant) => journal.evidence(stageHeight, participant),
      });
    }
    log.info("sidecar started", {
      validator: key.address,
      chain: config.chain.kind,
      node: config.chain.rpcUrl,
      ...(config.chain.contract !== undefined && { contract: config.chain.contract }),
      backends: config.backend.urls,
      journal: config.journal.path,
      metrics: parts.metricsServer?.url ?? null,
    });
    const follower = chain.followBlocks({ log, onHeight: daemon.onHeight });
    daemon.attach(follower);
    return {
      metricsUrl: parts.metricsServer?.url ?? "",
      address: key.address,
      async stop() {
        stopController.abort(new Error("the sidecar is stopping"));
        parts.probes?.stop();
        follower.stop();
        await daemon.idle();
        await closeParts(parts, journal);
        lock.release();
        log.info("sidecar stopped", { event_loop_worst_ms: Math.round(parts.loop?.worstMs() ?? 0) });
      },
    };
  } catch (err) {
    parts.probes?.stop();
    stopController.abort();
    await closeParts(parts, journal);
    lock.release();
    throw err;
  }
}

/** The node reports another chain than the config's chain.id: the sidecar must not vote there. */
export class WrongChainError extends PocvalError {
  override name = "WrongChainError";
}

/**
 * chain.id set: a node on another chain refuses the start (as `sidecar doctor` fails it). A node
 * not answering yet does not: the sidecar waits for it as it does without chain.id.
 */
async function refuseWrongChain(config: SidecarConfig, log: Logger): Promise<void> {
  const { kind, rpcUrl, id } = config.chain;
  let got: string;
  try {
    got = await nodeChainId(kind, rpcUrl, config.node.requestTimeoutMs);
  } catch (err) {
    log.warn("could not read the node's chain id at start; not checked", {
      node: rpcUrl,
      error: (err as Error).message,
    });
    return;
  }
  if (got !== id) {
    throw new WrongChainError(
      `${rpcUrl} is on chain "${got}", the config says chain.id "${id}": point chain.rpcUrl at a node of the right chain, or correct chain.id`,
    );
  }
}

/** What startSidecar has started so far, closed in closeParts (also when startup fails halfway). */
interface SidecarParts {
  chain?: SidecarChain;
  recompute?: RecomputeQueue;
  provePool?: ProvePool;
  metricsServer?: MetricsServer;
  probes?: { stop(): void };
  loop?: LoopDelayWatch;
}

async function closeParts(parts: SidecarParts, journal: Journal): Promise<void> {
  parts.loop?.stop();
  parts.recompute?.close();
  await parts.provePool?.close();
  await parts.metricsServer?.stop();
  parts.chain?.close();
  journal.close();
}

/** Watches the event loop's delay; a stall of a second or more is logged (it makes every deadline of the process late). */
function watchLoop(log: Logger): LoopDelayWatch {
  return watchLoopDelay({
    onStall: (s) =>
      log.warn("event loop stalled", {
        max_ms: Math.round(s.maxMs),
        p99_ms: Math.round(s.p99Ms),
        mean_ms: Math.round(s.meanMs),
      }),
  });
}

/** The chain binding the config names: a PocvalTally contract on EVM, or the Cosmos node. */
async function connectChain(config: SidecarConfig, key: ValidatorKey, log: Logger): Promise<SidecarChain> {
  if (config.chain.kind === "evm") {
    return connectEvmSidecarChain({
      rpcUrl: config.chain.rpcUrl,
      contract: config.chain.contract!,
      wallet: new Wallet(`0x${toHex(key.privateKey)}`),
      wsUrl: config.node.wsUrl,
      pollIntervalMs: config.node.pollIntervalMs,
      wsStallMs: config.node.wsStallMs,
      onWaiting: (err, attempt) =>
        log.warn("EVM node not answering yet; waiting", {
          url: config.chain.rpcUrl,
          attempt,
          error: err.message,
        }),
    });
  }
  return await connectCosmosSidecarChain({
    rpcUrl: config.chain.rpcUrl,
    wsUrl: config.node.wsUrl,
    timeoutMs: config.node.requestTimeoutMs,
    pollIntervalMs: config.node.pollIntervalMs,
    wsStallMs: config.node.wsStallMs,
    key,
    gasPrice: config.votes.gasPrice,
  });
}

/** The recompute queue over the configured backends, each request counted in metrics and /healthz. */
function createRecompute(
  config: SidecarConfig,
  metrics: SidecarMetrics,
  failures: FailureClock,
  log: Logger,
): RecomputeQueue {
  return createRecomputeQueue({
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
      const requests = `${e.backend} (recompute requests)`;
      if (e.error) failures.fail(requests, e.error.message, Date.now());
      else failures.succeed(requests);
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
}

/** Each backend's status, also while there is nothing to check: /healthz says when one is down. */
function probeBackends(urls: readonly string[], failures: FailureClock, signal: AbortSignal): { stop(): void } {
  const probes = urls.map((url) => ({
    url,
    client: createBackendClient({ url, timeoutMs: BACKEND_PROBE_TIMEOUT_MS, retries: 0, batchSize: 1 }),
  }));
  let timer: NodeJS.Timeout | undefined;
  const probe = () => {
    for (const p of probes) {
      p.client
        .status({ signal })
        .then(() => failures.succeed(p.url))
        .catch((err: Error) => {
          if (!signal.aborted) failures.fail(p.url, err.message, Date.now());
        });
    }
    timer = setTimeout(probe, BACKEND_PROBE_MS);
    timer.unref();
  };
  probe();
  return { stop: () => clearTimeout(timer) };
}
