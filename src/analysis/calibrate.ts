import { binomialPValue, l2Distance, percentile as numpyPercentile } from "../core/index.js";

/** Raised when the data cannot be calibrated as asked (unknown honest server, no honest pair); names the option. */
export class CalibrationError extends Error {
  override name = "CalibrationError";
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(`${option}: ${message}`);
  }
}

export type Cluster = "honest" | "cheater";

/** The distances of one pair of servers on their shared nonces, and the binomial test at the threshold. */
export interface PairSummary {
  a: string;
  b: string;
  n: number;
  mean: number;
  /** Population standard deviation (numpy's default, ddof = 0). */
  std: number;
  max: number;
  /** Distances strictly above the threshold. */
  mismatches: number;
  /** P[X >= mismatches], X ~ Binomial(n, nominal false-positive rate). */
  pValue: number;
  cluster: Cluster;
  distances: Float64Array;
}

/** How the pairs were split into the honest and cheater clusters. */
export type ClusterSplit =
  | { method: "gap"; below: number; above: number }
  | { method: "named"; honest: string[] }
  | { method: "none"; reason: string };

export interface CalibrationOptions {
  /** Percentile of honest distances used as the threshold (the report: 98). */
  percentile?: number;
  /** Servers known to be honest: honest pairs are those of two named servers. */
  honest?: readonly string[];
  /**
   * Smallest ratio between the pair means either side of the largest gap for the gap to
   * split the clusters (the report's 0.077 against 0.241 is about 3).
   */
  minGapRatio?: number;
}

export interface Calibration {
  threshold: number;
  percentile: number;
  /** The false-positive rate the binomial tests assume: 1 - percentile / 100. */
  nominalFpRate: number;
  honestServers: string[];
  /** Number of pooled honest distances the threshold was taken from. */
  honestDistances: number;
  falsePositives: number;
  /** falsePositives / honestDistances. */
  fpRate: number;
  split: ClusterSplit;
  pairs: PairSummary[];
  warnings: string[];
}

/** The L2 distance per nonce that both servers hold, in ascending nonce order. */
export function pairDistances(
  a: ReadonlyMap<number, ArrayLike<number>>,
  b: ReadonlyMap<number, ArrayLike<number>>,
): Float64Array {
  const shared = [...a.keys()].filter((n) => b.has(n)).sort((x, y) => x - y);
  return Float64Array.from(shared, (n) => l2Distance(a.get(n)!, b.get(n)!));
}

function meanStdMax(d: Float64Array): { mean: number; std: number; max: number } {
  let sum = 0;
  let max = Number.NEGATIVE_INFINITY;
  for (const x of d) {
    sum += x;
    if (x > max) max = x;
  }
  const mean = sum / d.length;
  let ss = 0;
  for (const x of d) ss += (x - mean) * (x - mean);
  return { mean, std: Math.sqrt(ss / d.length), max };
}

/**
 * The report's split: sort the pair means, cut at the largest gap between neighbours. The cut
 * only counts when the means either side differ by at least minGapRatio; otherwise every pair
 * is honest.
 */
export function splitByGap(means: readonly number[], minGapRatio = 1.5): { clusters: Cluster[]; split: ClusterSplit } {
  const order = means.map((m, i) => ({ m, i })).sort((x, y) => x.m - y.m);
  let best = -1;
  let bestGap = 0;
  for (let k = 0; k + 1 < order.length; k++) {
    const gap = order[k + 1]!.m - order[k]!.m;
    if (gap > bestGap) {
      bestGap = gap;
      best = k;
    }
  }
  const honestAll = { clusters: means.map((): Cluster => "honest") };
  if (best < 0) return { ...honestAll, split: { method: "none", reason: "fewer than two distinct pair means" } };
  const below = order[best]!.m;
  const above = order[best + 1]!.m;
  if (above < below * minGapRatio) {
    return {
      ...honestAll,
      split: {
        method: "none",
        reason: `the largest gap (${below.toFixed(4)} to ${above.toFixed(4)}) is below the ratio ${minGapRatio}; every pair counts as honest`,
      },
    };
  }
  return {
    clusters: means.map((m): Cluster => (m <= below ? "honest" : "cheater")),
    split: { method: "gap", below, above },
  };
}

/**
 * The report's distance analysis: pairwise L2 distances on shared nonces, honest and cheater
 * clusters, the threshold as a percentile (numpy's linear method) of pooled honest distances,
 * the false positives it leaves, and the one-sided binomial test of every pair.
 * @example calibrate([{ name: "a", vectors }, { name: "b", vectors: other }]).threshold
 */
export function calibrate(
  servers: readonly { name: string; vectors: ReadonlyMap<number, ArrayLike<number>>; inputs?: string }[],
  options: CalibrationOptions = {},
): Calibration {
  const pct = options.percentile ?? 98;
  if (!(pct > 0 && pct < 100)) throw new CalibrationError("percentile", `must be in (0, 100), got ${pct}`);
  const names = servers.map((s) => s.name);
  for (const h of options.honest ?? []) {
    if (!names.includes(h))
      throw new CalibrationError("honest", `no server is named "${h}" (servers: ${names.join(", ")})`);
  }
  const warnings: string[] = [];
  const raw: Omit<PairSummary, "mismatches" | "pValue" | "cluster">[] = [];
  for (let i = 0; i < servers.length; i++) {
    for (let j = i + 1; j < servers.length; j++) {
      const a = servers[i]!;
      const b = servers[j]!;
      // The same nonce under another block hash or key is another input: no comparison.
      if (a.inputs !== undefined && b.inputs !== undefined && a.inputs !== b.inputs) {
        warnings.push(`${a.name} vs ${b.name}: collected with different block_hash/public_key; pair left out`);
        continue;
      }
      const distances = pairDistances(a.vectors, b.vectors);
      if (distances.length === 0) {
        warnings.push(`${a.name} vs ${b.name}: no shared nonce with vectors on both sides; pair left out`);
        continue;
      }
      raw.push({ a: a.name, b: b.name, n: distances.length, ...meanStdMax(distances), distances });
    }
  }
  if (raw.length === 0) throw new CalibrationError("data", "no pair of servers shares a nonce with vectors");

  let clusters: Cluster[];
  let split: ClusterSplit;
  if (options.honest && options.honest.length > 0) {
    const honest = new Set(options.honest);
    clusters = raw.map((p) => (honest.has(p.a) && honest.has(p.b) ? "honest" : "cheater"));
    split = { method: "named", honest: [...honest].sort() };
  } else {
    ({ clusters, split } = splitByGap(
      raw.map((p) => p.mean),
      options.minGapRatio,
    ));
    if (split.method === "none") warnings.push(`no cluster split: ${split.reason}`);
  }
  const honestPairs = raw.filter((_, i) => clusters[i] === "honest");
  if (honestPairs.length === 0) throw new CalibrationError("honest", "no pair of two honest servers has shared nonces");

  const pooled = new Float64Array(honestPairs.reduce((s, p) => s + p.n, 0));
  let offset = 0;
  for (const p of honestPairs) {
    pooled.set(p.distances, offset);
    offset += p.n;
  }
  const threshold = numpyPercentile(pooled, pct);
  const nominalFpRate = 1 - pct / 100;
  const countAbove = (d: Float64Array): number => d.reduce((c, x) => (x > threshold ? c + 1 : c), 0);
  const falsePositives = countAbove(pooled);
  const pairs = raw.map((p, i): PairSummary => {
    const mismatches = countAbove(p.distances);
    return { ...p, mismatches, pValue: binomialPValue(mismatches, p.n, nominalFpRate), cluster: clusters[i]! };
  });
  const honestServers = [...new Set(honestPairs.flatMap((p) => [p.a, p.b]))].sort();
  return {
    threshold,
    percentile: pct,
    nominalFpRate,
    honestServers,
    honestDistances: pooled.length,
    falsePositives,
    fpRate: falsePositives / pooled.length,
    split,
    pairs,
    warnings,
  };
}

/** The JSON summary of docs/cli.md (`pocval calibrate --json`). */
export function calibrationJson(c: Calibration): {
  threshold: number;
  percentile: number;
  honest_servers: string[];
  honest_distances: number;
  false_positives: number;
  fp_rate: number;
  pairs: {
    a: string;
    b: string;
    n: number;
    mean: number;
    std: number;
    max: number;
    mismatches: number;
    p_value: number;
    cluster: Cluster;
  }[];
} {
  return {
    threshold: c.threshold,
    percentile: c.percentile,
    honest_servers: c.honestServers,
    honest_distances: c.honestDistances,
    false_positives: c.falsePositives,
    fp_rate: c.fpRate,
    pairs: c.pairs.map((p) => ({
      a: p.a,
      b: p.b,
      n: p.n,
      mean: p.mean,
      std: p.std,
      max: p.max,
      mismatches: p.mismatches,
      p_value: p.pValue,
      cluster: p.cluster,
    })),
  };
}
