// The one rule of the sidecar's /healthz: it is degraded when a backend or the chain has been
// failing for longer than a stage, or no block came for that long, and it says which and why.

/** Since when each source (a backend URL, "chain") has been failing, and its last error. */
export interface FailureClock {
  fail(source: string, error: string, nowMs: number): void;
  succeed(source: string): void;
  /** Sources failing now: since when (their first failure after their last success) and the last error. */
  failing(): { source: string; sinceMs: number; error: string }[];
}

export function failureClock(): FailureClock {
  const failing = new Map<string, { sinceMs: number; error: string }>();
  return {
    fail(source, error, nowMs) {
      const f = failing.get(source);
      failing.set(source, { sinceMs: f?.sinceMs ?? nowMs, error });
    },
    succeed(source) {
      failing.delete(source);
    },
    failing: () => [...failing].map(([source, f]) => ({ source, ...f })),
  };
}

/** Without a measured block time, a stage is taken to last this long. */
export const DEFAULT_STAGE_MS = 60_000;

export interface HealthInput {
  nowMs: number;
  /** Latest height seen; 0 before the first. */
  latestHeight: bigint;
  /** Milliseconds since the last new block (Infinity before the first). */
  sinceLastBlockMs: number;
  /** A stage's length in milliseconds, from the chain's stage length and the block time seen. */
  stageMs: number | undefined;
  /** No block for this long is a problem even within a stage (the follower's own liveness limit). */
  blockStallMs: number;
  /** Failing sources from the failure clock. */
  failing: { source: string; sinceMs: number; error: string }[];
}

export interface HealthAssessment {
  ok: boolean;
  status: "ok" | "degraded" | "starting";
  /** One line per problem, naming the part, for how long, and the last error. */
  problems: string[];
}

/**
 * ok while every backend and the chain answered within the last stage; "degraded" with the reasons
 * otherwise; "starting" before the first block.
 * @example assessHealth({ nowMs: 100_000, latestHeight: 5n, sinceLastBlockMs: 200, stageMs: 20_000,
 *   blockStallMs: 60_000, failing: [{ source: "http://gpu:8080", sinceMs: 10_000, error: "ECONNREFUSED" }] })
 *   // { ok: false, status: "degraded", problems: ["backend http://gpu:8080: failing for 90 s (...)"] }
 */
export function assessHealth(input: HealthInput): HealthAssessment {
  const limitMs = input.stageMs ?? DEFAULT_STAGE_MS;
  const stage = `longer than a stage, ${Math.round(limitMs / 1000)} s`;
  const problems: string[] = [];
  if (input.latestHeight === 0n) return { ok: false, status: "starting", problems: ["no block seen yet"] };
  if (input.sinceLastBlockMs > Math.min(limitMs, input.blockStallMs)) {
    problems.push(`chain: no new block for ${Math.round(input.sinceLastBlockMs / 1000)} s`);
  }
  for (const f of input.failing) {
    const forMs = input.nowMs - f.sinceMs;
    if (forMs <= limitMs) continue;
    const part = f.source === "chain" ? "chain reads" : `backend ${f.source}`;
    problems.push(`${part}: failing for ${Math.round(forMs / 1000)} s (${stage}); last error: ${f.error}`);
  }
  return problems.length === 0 ? { ok: true, status: "ok", problems } : { ok: false, status: "degraded", problems };
}
