// How late this process's event loop runs (perf_hooks monitorEventLoopDelay), interval by
// interval: a loop blocked for seconds makes every timer and socket read of the process late at
// once, so proof requests time out together and votes miss their window. The sidecar exports it
// as metrics; the sidecar and the participant agent log each interval that stalled.
import { type IntervalHistogram, monitorEventLoopDelay } from "node:perf_hooks";

/** One interval's delays, in milliseconds past when the loop should have run. */
export interface LoopDelaySummary {
  maxMs: number;
  p99Ms: number;
  meanMs: number;
}

export interface LoopDelayWatch {
  /** The last complete interval (zeros before the first ends). */
  last(): LoopDelaySummary;
  /** The longest delay since the watch started, in ms. */
  worstMs(): number;
  /** Intervals whose longest delay reached stallMs. */
  stalls(): number;
  stop(): void;
}

export interface LoopDelayOptions {
  /** Length of one interval (default 10 s). */
  intervalMs?: number;
  /** An interval whose longest delay reaches this is a stall (default 1000 ms). */
  stallMs?: number;
  /** Called at the end of each stalled interval (for a log line). */
  onStall?: (summary: LoopDelaySummary) => void;
}

const NO_DELAY: LoopDelaySummary = { maxMs: 0, p99Ms: 0, meanMs: 0 };
/** The histogram's sampling timer: fine enough for the stalls that matter (hundreds of ms). */
const RESOLUTION_MS = 20;

/** The histogram's interval in ms, without the sampling timer's own period (which is not delay). */
function summarize(h: IntervalHistogram): LoopDelaySummary {
  if (h.count === 0) return NO_DELAY;
  const ms = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
  return { maxMs: ms(h.max), p99Ms: ms(h.percentile(99)), meanMs: ms(h.mean) };
}

/**
 * Watches the event loop's delay until stop().
 * @example const loop = watchLoopDelay({ onStall: (s) => log.warn("event loop stalled", { max_ms: s.maxMs }) });
 */
export function watchLoopDelay(opts: LoopDelayOptions = {}): LoopDelayWatch {
  const stallMs = opts.stallMs ?? 1000;
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  let last = NO_DELAY;
  let worst = 0;
  let stalls = 0;
  const timer = setInterval(() => {
    last = summarize(histogram);
    histogram.reset();
    worst = Math.max(worst, last.maxMs);
    if (last.maxMs >= stallMs) {
      stalls++;
      opts.onStall?.(last);
    }
  }, opts.intervalMs ?? 10_000);
  timer.unref();
  return {
    last: () => last,
    // The interval still running counts too: a stall is seen before its interval ends.
    worstMs: () => Math.max(worst, summarize(histogram).maxMs),
    stalls: () => stalls,
    stop() {
      clearInterval(timer);
      histogram.disable();
    },
  };
}
