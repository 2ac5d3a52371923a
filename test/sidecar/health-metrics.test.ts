// The scrape-time gauges behind the ops/ alert rules: each backend's failing time (its status probe
// or its recompute requests, the longer), the stage length with /healthz's fallback, the block age
// (NaN before the first block), the journal's votes by status and the event loop's delay, read from
// a real registry.
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { backendFailingSeconds, registerHealthMetrics } from "../../src/sidecar/index.js";

const A = "http://gpu-a:8000";
const B = "http://gpu-b:8000";

describe("backendFailingSeconds", () => {
  it("0 for a backend that answers, the longer of probe and requests for one that fails, other sources ignored", () => {
    const seconds = backendFailingSeconds(
      [A, B],
      [
        { source: A, sinceMs: 90_000 },
        { source: `${A} (recompute requests)`, sinceMs: 40_000 },
        { source: "chain", sinceMs: 0 },
        { source: "http://not-configured:1", sinceMs: 0 },
      ],
      100_000,
    );
    expect([...seconds]).toEqual([
      [A, 60],
      [B, 0],
    ]);
  });
});

describe("registerHealthMetrics", () => {
  it("exports the gauges the alert rules read, with the values of the sources at scrape time", async () => {
    const registry = new Registry();
    let health = { status: "starting", ms_since_last_block: null as number | null, stage_ms: null as number | null };
    registerHealthMetrics(registry, {
      backends: [A, B],
      failing: () => [{ source: B, sinceMs: 1_000 }],
      health: () => health,
      journalCounts: () => ({ pending: 3, in_flight: 1, submitted: 40, expired: 2 }),
      info: { version: "0.1.0", chain: "cosmos", validator: "pocval1x" },
      loop: {
        last: () => ({ maxMs: 2_500, p99Ms: 1_200, meanMs: 40 }),
        worstMs: () => 3_000,
        stalls: () => 2,
        stop: () => {},
      },
      nowMs: () => 31_000,
    });
    const value = async (name: string, labels: Record<string, string> = {}) => {
      const m = (await registry.getSingleMetric(name)?.get())?.values ?? [];
      return m.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value;
    };
    expect(await value("pocval_sidecar_healthy")).toBe(0);
    expect(await value("pocval_sidecar_stage_seconds")).toBe(60); // DEFAULT_STAGE_MS until measured
    expect(await value("pocval_sidecar_last_block_age_seconds")).toBeNaN();
    expect(await value("pocval_sidecar_backend_up", { backend: A })).toBe(1);
    expect(await value("pocval_sidecar_backend_up", { backend: B })).toBe(0);
    expect(await value("pocval_sidecar_backend_failing_seconds", { backend: B })).toBe(30);
    expect(await value("pocval_sidecar_journal_votes", { status: "expired" })).toBe(2);
    expect(await value("pocval_sidecar_info", { version: "0.1.0", validator: "pocval1x" })).toBe(1);
    expect(await value("pocval_sidecar_event_loop_delay_seconds", { quantile: "1" })).toBe(2.5);
    expect(await value("pocval_sidecar_event_loop_delay_seconds", { quantile: "0.99" })).toBe(1.2);
    expect(await value("pocval_sidecar_event_loop_delay_worst_seconds")).toBe(3);
    expect(await value("pocval_sidecar_event_loop_stalls_total")).toBe(2);
    health = { status: "ok", ms_since_last_block: 1_500, stage_ms: 12_000 };
    expect(await value("pocval_sidecar_healthy")).toBe(1);
    expect(await value("pocval_sidecar_stage_seconds")).toBe(12);
    expect(await value("pocval_sidecar_last_block_age_seconds")).toBe(1.5);
  });
});
