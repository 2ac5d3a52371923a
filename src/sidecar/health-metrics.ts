// Gauges read at scrape time from the sidecar's live state, for the alert rules and dashboard in
// ops/ (a counter cannot say "failing for longer than a stage" or "no block for 2 minutes"): the
// /healthz verdict, each backend's state and how long it has failed, the measured stage length,
// the age of the last block, the journal's votes by status, the event loop's delay, and an info
// series with the version.
import { Counter, Gauge, type Registry } from "prom-client";
import type { LoopDelayWatch } from "../net/index.js";
import { DEFAULT_STAGE_MS } from "./health.js";
import type { DecisionStatus } from "./journal.js";

/** What the gauges read when Prometheus scrapes. */
export interface HealthMetricSources {
  /** The configured backend URLs (each gets a series, also while it answers). */
  backends: readonly string[];
  /** The failure clock's failing sources (a backend URL, `<url> (recompute requests)`, "chain"). */
  failing(): { source: string; sinceMs: number }[];
  /** /healthz's answer: its status, the time since the last block and the measured stage length. */
  health(): { status: string; ms_since_last_block: number | null; stage_ms: number | null };
  journalCounts(): Record<DecisionStatus, number>;
  /** The process's event loop delay, interval by interval. */
  loop?: LoopDelayWatch;
  info: { version: string; chain: string; validator: string };
  nowMs?: () => number;
}

/** Seconds each backend has been failing (0 while it answers): its status probe or its recompute requests, the longer. */
export function backendFailingSeconds(
  backends: readonly string[],
  failing: { source: string; sinceMs: number }[],
  nowMs: number,
): Map<string, number> {
  const out = new Map(backends.map((b) => [b, 0]));
  for (const f of failing) {
    const backend = backends.find((b) => f.source === b || f.source === `${b} (recompute requests)`);
    if (backend === undefined) continue;
    out.set(backend, Math.max(out.get(backend) ?? 0, Math.max(0, nowMs - f.sinceMs) / 1000));
  }
  return out;
}

/** Registers the gauges on the sidecar's registry. */
export function registerHealthMetrics(registry: Registry, s: HealthMetricSources): void {
  const registers = [registry];
  const now = s.nowMs ?? Date.now;
  new Gauge({
    name: "pocval_sidecar_info",
    help: "Always 1: the sidecar's version, chain kind and validator address as labels",
    labelNames: ["version", "chain", "validator"],
    registers,
  }).set(s.info, 1);
  new Gauge({
    name: "pocval_sidecar_healthy",
    help: "1 when /healthz answers ok, 0 when degraded or starting",
    registers,
    collect() {
      this.set(s.health().status === "ok" ? 1 : 0);
    },
  });
  const failingSeconds = () => backendFailingSeconds(s.backends, s.failing(), now());
  new Gauge({
    name: "pocval_sidecar_backend_up",
    help: "1 while the backend answers its status probe and recompute requests, 0 while it fails",
    labelNames: ["backend"],
    registers,
    collect() {
      for (const [backend, seconds] of failingSeconds()) this.set({ backend }, seconds > 0 ? 0 : 1);
    },
  });
  new Gauge({
    name: "pocval_sidecar_backend_failing_seconds",
    help: "Seconds the backend has been failing without an answer in between (0 while it answers)",
    labelNames: ["backend"],
    registers,
    collect() {
      for (const [backend, seconds] of failingSeconds()) this.set({ backend }, seconds);
    },
  });
  new Gauge({
    name: "pocval_sidecar_stage_seconds",
    help: "A stage's length in seconds: the chain's stage_length times the block time seen (60 until measured)",
    registers,
    collect() {
      this.set((s.health().stage_ms ?? DEFAULT_STAGE_MS) / 1000);
    },
  });
  new Gauge({
    name: "pocval_sidecar_last_block_age_seconds",
    help: "Seconds since the sidecar saw a new block (NaN before the first)",
    registers,
    collect() {
      const ms = s.health().ms_since_last_block;
      this.set(ms === null ? Number.NaN : ms / 1000);
    },
  });
  new Gauge({
    name: "pocval_sidecar_journal_votes",
    help: "The journal's decisions by status: pending, in_flight (a transaction carries them), submitted (on chain), expired (the window closed first)",
    labelNames: ["status"],
    registers,
    collect() {
      for (const [status, n] of Object.entries(s.journalCounts())) this.set({ status }, n);
    },
  });
  if (s.loop) registerLoopDelayMetrics(registry, s.loop);
}

/** The event loop's delay: a loop stalled for seconds makes every proof request and vote of the sidecar late at once. */
function registerLoopDelayMetrics(registry: Registry, loop: LoopDelayWatch): void {
  const registers = [registry];
  new Gauge({
    name: "pocval_sidecar_event_loop_delay_seconds",
    help: "How late the event loop ran over the last 10 s: its longest delay (quantile 1) and its 99th percentile",
    labelNames: ["quantile"],
    registers,
    collect() {
      const last = loop.last();
      this.set({ quantile: "1" }, last.maxMs / 1000);
      this.set({ quantile: "0.99" }, last.p99Ms / 1000);
    },
  });
  new Gauge({
    name: "pocval_sidecar_event_loop_delay_worst_seconds",
    help: "The longest event loop delay since the sidecar started",
    registers,
    collect() {
      this.set(loop.worstMs() / 1000);
    },
  });
  new Counter({
    name: "pocval_sidecar_event_loop_stalls_total",
    help: "10 s intervals in which the event loop was blocked for 1 s or more (each logged as 'event loop stalled')",
    registers,
    collect() {
      this.reset();
      this.inc(loop.stalls());
    },
  });
}
