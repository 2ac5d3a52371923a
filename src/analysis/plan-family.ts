// The per-check figures the planner searches with (plan-search.ts), for one kind of check: the curtailed
// check of version 2 (P[CHEATER] is the binomial tail) or a check with early acceptance at one rate
// lambda (analysis/early.ts). With early acceptance, mismatches only grow, so the check ends CHEATER iff
// X_end >= k, where X_end is the mismatch count at the first boundary t < n with count <= a(t) (or at
// n when none accepts): one DP over chunk boundaries gives P[CHEATER] for every k at once, shared by
// every n (the boundaries before n are the same for every larger n).
import { acceptanceTable, binomialLogPmf, binomialPValue } from "../core/index.js";
import { earlyCheck } from "./early.js";
import { curtailedLowerBound, expectedCurtailedChecks } from "./plan-cost.js";

export interface CheckFamily {
  /** The decimal acceptance rate lambda, or null: no early acceptance (version 2). */
  acceptanceRate: string | null;
  /** t[k] = P[the check ends CHEATER] at a true mismatch rate, k = 0 .. n + 1 (falls with k). */
  tails(n: number, rate: number): Float64Array;
  /** P[CHEATER] for one (n, k) at a true rate. */
  flag(n: number, k: number, rate: number): number;
  /** Expected leaves checked of an honest participant (rate r0). */
  cost(n: number, k: number): number;
  /** A lower bound on cost(n, k) for every k <= kHi whose P[CHEATER] at r0 is at most q0max. */
  costLowerBound(n: number, kHi: number, q0max: number): number;
}

/** t[k] = P[X >= k], X ~ Binomial(n, p), k = 0 .. n + 1; summed from the top so small tails keep their digits. */
export function binomialTails(n: number, p: number): Float64Array {
  const t = new Float64Array(n + 2);
  if (p <= 0 || p >= 1) {
    for (let k = 0; k <= n + 1; k++) t[k] = k === 0 ? 1 : p >= 1 && k <= n ? 1 : 0;
    return t;
  }
  const mode = Math.min(n, Math.floor((n + 1) * p));
  const pmf = new Float64Array(n + 1);
  pmf[mode] = Math.exp(binomialLogPmf(mode, n, p));
  const odds = p / (1 - p);
  for (let k = mode; k < n; k++) pmf[k + 1] = (pmf[k]! * (n - k) * odds) / (k + 1);
  for (let k = mode; k > 0; k--) pmf[k - 1] = (pmf[k]! * k) / ((n - k + 1) * odds);
  for (let k = n; k >= 0; k--) t[k] = Math.min(1, t[k + 1]! + pmf[k]!);
  t[0] = 1;
  return t;
}

/** Version 2: the curtailed check, whose verdicts are the full binomial test's. */
export function curtailedFamily(r0: number, chunk: number): CheckFamily {
  return {
    acceptanceRate: null,
    tails: binomialTails,
    flag: (n, k, rate) => binomialPValue(k, n, rate),
    cost: (n, k) => expectedCurtailedChecks(n, k, r0, chunk),
    costLowerBound: (n, kHi, q0max) => curtailedLowerBound(n, kHi, chunk, q0max),
  };
}

function binomialPmf(size: number, rate: number): Float64Array {
  return Float64Array.from({ length: size + 1 }, (_, j) => Math.exp(binomialLogPmf(j, size, rate)));
}

/** Boundary states of the early-acceptance path at one rate: open[j] by count at boundary j chunk, accepted cumulated. */
interface BoundaryStates {
  open: Float64Array[];
  accepted: Float64Array[];
}

/** The path through boundaries chunk, 2 chunk, ... below maxN: each boundary accepts counts <= table[t]. */
function boundaryStates(table: readonly number[], chunk: number, rate: number): BoundaryStates {
  const pmf = binomialPmf(chunk, rate);
  const open: Float64Array[] = [Float64Array.of(1)];
  const top = Math.max(0, table[table.length - 1] ?? 0);
  const accepted: Float64Array[] = [new Float64Array(top + 1)];
  for (let t = chunk; t < table.length; t += chunk) {
    const prev = open[open.length - 1]!;
    const next = new Float64Array(t + 1);
    for (let x = 0; x < prev.length; x++) {
      const v = prev[x]!;
      if (v !== 0) for (let j = 0; j <= chunk; j++) next[x + j]! += v * pmf[j]!;
    }
    const acc = Float64Array.from(accepted[accepted.length - 1]!);
    for (let x = 0; x <= table[t]! && x <= t; x++) {
      acc[x]! += next[x]!;
      next[x] = 0;
    }
    open.push(next);
    accepted.push(acc);
  }
  return { open, accepted };
}

/**
 * Early acceptance at `lambda` (a(c) = floor(lambda c), core/acceptance.ts) for sample sizes up to maxN.
 * @example earlyFamily(0.02, 20, "0.015", 2000).flag(200, 8, 0.02) // 0.028833 (earlyCheck's P[CHEATER])
 */
export function earlyFamily(r0: number, chunk: number, lambda: string, maxN: number): CheckFamily {
  const table = acceptanceTable(maxN, lambda);
  const states = new Map<number, BoundaryStates>();
  const statesAt = (rate: number): BoundaryStates => {
    let s = states.get(rate);
    if (s === undefined) {
      s = boundaryStates(table, chunk, rate);
      if (states.size > 8) states.clear();
      states.set(rate, s);
    }
    return s;
  };
  // survival[j] = P[no acceptance at boundaries chunk .. j chunk] of an honest participant.
  const honest = statesAt(r0);
  const survival = honest.open.map((o) => o.reduce((a, b) => a + b, 0));
  const tails = (n: number, rate: number): Float64Array => {
    const { open, accepted } = statesAt(rate);
    const j = Math.floor((n - 1) / chunk);
    const rest = n - j * chunk;
    const pmf = binomialPmf(rest, rate);
    const dist = new Float64Array(n + 1);
    accepted[j]!.forEach((v, x) => {
      if (x <= n) dist[x]! += v;
    });
    open[j]!.forEach((v, x) => {
      if (v !== 0) for (let i = 0; i <= rest; i++) dist[x + i]! += v * pmf[i]!;
    });
    const t = new Float64Array(n + 2);
    for (let k = n; k >= 0; k--) t[k] = t[k + 1]! + dist[k]!;
    t[0] = 1;
    for (let k = 1; k <= n; k++) t[k] = Math.min(1, t[k]!);
    return t;
  };
  const early = (n: number, k: number, rate: number) => earlyCheck(n, k, chunk, table.slice(0, n), rate);
  return {
    acceptanceRate: lambda,
    tails,
    flag: (n, k, rate) => early(n, k, rate).pCheater,
    cost: (n, k) => early(n, k, r0).expectedChecks,
    costLowerBound: (n, kHi, q0max) => {
      if (kHi > n) return 0;
      // Every check runs until an acceptance, a CHEATER (P <= q0max, costing at most n) or the first
      // boundary B past n - k, where the curtailed rule can first stop it.
      const B = Math.min(n, Math.ceil((n - kHi + 1) / chunk) * chunk);
      let leaves = 0;
      for (let j = 0; j * chunk < B; j++) leaves += (Math.min((j + 1) * chunk, B) - j * chunk) * survival[j]!;
      return Math.max(0, leaves - n * q0max);
    },
  };
}
