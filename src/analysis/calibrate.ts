// The distance threshold from a data set (docs/protocol.md, calibration): pooled or worst-pair
// percentile, false-positive rates and their upper bounds. Pure: the CLI reads and writes the files.
import { binomialPValue, l2Distance, percentile as numpyPercentile, PocvalError } from "../core/index.js";
import { type Seed, seedKey } from "./dataset.js";
import { clopperPearsonUpper } from "./interval.js";

/** Raised when the data cannot be calibrated as asked (unknown honest server, no honest pair); names the option. */
export class CalibrationError extends PocvalError {
  override name = "CalibrationError";
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(`${option}: ${message}`);
  }
}

export type Cluster = "honest" | "cheater";

/**
 * How the threshold is taken: `pooled` (the notebook's method: the percentile of every honest
 * distance pooled) or `worst-pair` (the largest of the honest, non-identical pairs' own percentiles).
 */
export type Policy = "pooled" | "worst-pair";
export const POLICIES: readonly Policy[] = ["pooled", "worst-pair"];

/** Confidence of `rate_upper` (one-sided Clopper-Pearson) and level of the pair tests. */
export const PAIR_CONFIDENCE = 0.95;
export const PAIR_ALPHA = 0.05;

/** The distances of one pair of servers on their shared nonces, and the binomial test at the threshold. */
export interface PairSummary {
  a: string;
  b: string;
  /** Shared nonces with vectors on both sides, summed over the seeds both servers have. */
  n: number;
  mean: number;
  /** Population standard deviation (numpy's default, ddof = 0). */
  std: number;
  max: number;
  /** Distances strictly above the threshold. */
  mismatches: number;
  /** mismatches / n. */
  rate: number;
  /** Exact one-sided 95% Clopper-Pearson upper bound of the rate: `beta.ppf(0.95, k + 1, n - k)`. */
  rateUpper: number;
  /** P[X >= mismatches], X ~ Binomial(n, the policy's reference rate: see Calibration.pValueRate). */
  pValue: number;
  cluster: Cluster;
  /** Every shared nonce at distance 0: the two machines run the same kernels. */
  identical: boolean;
  /** Seeds the pair's distances were pooled over. */
  seeds: number;
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
  /** pooled (default, the notebook) or worst-pair. */
  policy?: Policy;
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
  policy: Policy;
  percentile: number;
  /** The false-positive rate the percentile aims at: 1 - percentile / 100. */
  nominalFpRate: number;
  /** The rate the pairs' p-values test against: fpRate (pooled, the notebook) or nominalFpRate (worst-pair). */
  pValueRate: number;
  honestServers: string[];
  /** The servers present in every cheater pair (the notebook's marking); empty without cheater pairs. */
  cheaterServers: string[];
  /** Number of pooled honest distances (identical pairs included, as the notebook pools them). */
  honestDistances: number;
  falsePositives: number;
  /** falsePositives / honestDistances: observed. */
  fpRate: number;
  /** Largest rateUpper over honest, non-identical pairs: the value to propose as the chain's fp_rate. */
  fpRateUpper: number;
  identicalPairs: [string, string][];
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

function concat(parts: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
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

/** One server's vectors for one seed, as the data set holds them. */
export interface CalibrationInput {
  name: string;
  vectors: ReadonlyMap<number, ArrayLike<number>>;
  /** The file the vectors came from, for messages. */
  file?: string;
  /** The seed (block hash and public key) the vectors belong to: servers pair within a seed. */
  seed?: Seed;
  /** A seed given as one string instead (used when `seed` is absent). */
  inputs?: string;
}

type RawPair = Omit<PairSummary, "mismatches" | "rate" | "rateUpper" | "pValue" | "cluster">;

/** Pairs of distinct servers over the seeds both have; a pair's distances pool over seeds. */
function pairUp(servers: readonly CalibrationInput[], warnings: string[]): RawPair[] {
  const byName = new Map<string, Map<string, CalibrationInput>>();
  for (const s of servers) {
    const seeds = byName.get(s.name) ?? new Map<string, CalibrationInput>();
    const key = s.seed ? seedKey(s.seed) : (s.inputs ?? "");
    if (seeds.has(key)) {
      throw new CalibrationError(
        "data",
        `server "${s.name}" appears twice for the same seed (${seeds.get(key)!.file ?? "?"} and ${s.file ?? "?"})`,
      );
    }
    seeds.set(key, s);
    byName.set(s.name, seeds);
  }
  const names = [...byName.keys()];
  const raw: RawPair[] = [];
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      const a = byName.get(names[i]!)!;
      const b = byName.get(names[j]!)!;
      const parts: Float64Array[] = [];
      for (const [key, sa] of a) {
        const sb = b.get(key);
        if (sb) parts.push(pairDistances(sa.vectors, sb.vectors));
      }
      const distances = concat(parts);
      if (parts.length === 0) {
        warnings.push(`${names[i]} vs ${names[j]}: no seed (block_hash/public_key) in common; pair left out`);
        continue;
      }
      if (distances.length === 0) {
        warnings.push(`${names[i]} vs ${names[j]}: no shared nonce with vectors on both sides; pair left out`);
        continue;
      }
      const identical = distances.every((d) => d === 0);
      raw.push({
        a: names[i]!,
        b: names[j]!,
        n: distances.length,
        ...meanStdMax(distances),
        identical,
        seeds: parts.length,
        distances,
      });
    }
  }
  return raw;
}

/**
 * The report's distance analysis: pairwise L2 distances on shared nonces (same seed; a pair
 * pools its distances over seeds), honest and cheater clusters, the threshold by the chosen
 * policy (numpy's linear percentile), the false positives it leaves, and per pair the
 * mismatches, rate, exact Clopper-Pearson upper bound and one-sided binomial p-value.
 * @example calibrate([{ name: "a", vectors }, { name: "b", vectors: other }]).threshold
 */
export function calibrate(servers: readonly CalibrationInput[], options: CalibrationOptions = {}): Calibration {
  const pct = options.percentile ?? 98;
  const policy = options.policy ?? "pooled";
  if (!(pct > 0 && pct < 100)) throw new CalibrationError("percentile", `must be in (0, 100), got ${pct}`);
  if (!POLICIES.includes(policy))
    throw new CalibrationError("policy", `must be one of ${POLICIES.join(", ")}, got "${policy}"`);
  const names = [...new Set(servers.map((s) => s.name))];
  for (const h of options.honest ?? []) {
    if (!names.includes(h))
      throw new CalibrationError("honest", `no server is named "${h}" (servers: ${names.join(", ")})`);
  }
  const warnings: string[] = [];
  const raw = pairUp(servers, warnings);
  if (raw.length === 0) throw new CalibrationError("data", "no pair of servers shares a nonce with vectors");
  if (raw.every((p) => p.identical)) {
    const files = [...new Set(servers.map((s) => s.file ?? s.name))].join(", ");
    throw new CalibrationError(
      "data",
      `every pair of servers is bit-identical (distance 0 on every shared nonce) in ${files}: ` +
        "such data cannot calibrate a threshold; collect from machines that differ (other GPUs or kernels)",
    );
  }

  let clusters: Cluster[];
  let split: ClusterSplit;
  if (options.honest && options.honest.length > 0) {
    const honest = new Set(options.honest);
    clusters = raw.map((p) => (honest.has(p.a) && honest.has(p.b) ? "honest" : "cheater"));
    split = { method: "named", honest: [...honest].sort() };
  } else {
    // Identical pairs are honest by construction and would only pull the gap search to 0.
    const varied = raw.filter((p) => !p.identical);
    const gap = splitByGap(
      varied.map((p) => p.mean),
      options.minGapRatio,
    );
    split = gap.split;
    const byPair = new Map(varied.map((p, i) => [p, gap.clusters[i]!]));
    clusters = raw.map((p) => byPair.get(p) ?? "honest");
    if (split.method === "none") warnings.push(`no cluster split: ${split.reason}`);
  }
  const honestPairs = raw.filter((_, i) => clusters[i] === "honest");
  if (honestPairs.length === 0) throw new CalibrationError("honest", "no pair of two honest servers has shared nonces");
  const variedHonest = honestPairs.filter((p) => !p.identical);
  if (variedHonest.length === 0) {
    throw new CalibrationError(
      "honest",
      `every honest pair is bit-identical (${honestPairs.map((p) => `${p.a} vs ${p.b}`).join(", ")}): no honest variation to calibrate a threshold from`,
    );
  }

  const pairs = raw.map(
    (p, i): PairSummary => ({
      ...p,
      mismatches: 0,
      rate: 0,
      rateUpper: 1,
      pValue: 1,
      cluster: clusters[i]!,
    }),
  );
  return applyPolicy({ pairs, split, warnings }, policy, pct);
}

/**
 * The threshold and per-pair figures of one policy over pairs already clustered: what
 * `calibrate` ends with, and how the report shows the other policy beside the chosen one.
 */
export function applyPolicy(
  base: { pairs: readonly PairSummary[]; split: ClusterSplit; warnings: readonly string[] },
  policy: Policy,
  pct: number,
): Calibration {
  const warnings = base.warnings.filter((w) => !w.startsWith(POOLED_WARNING));
  const honestPairs = base.pairs.filter((p) => p.cluster === "honest");
  const variedHonest = honestPairs.filter((p) => !p.identical);
  if (variedHonest.length === 0) throw new CalibrationError("honest", "no honest pair with distances above 0");
  const pooled = concat(honestPairs.map((p) => p.distances));
  const threshold =
    policy === "pooled"
      ? numpyPercentile(pooled, pct)
      : Math.max(...variedHonest.map((p) => numpyPercentile(p.distances, pct)));
  const nominalFpRate = 1 - pct / 100;
  const countAbove = (d: Float64Array): number => d.reduce((c, x) => (x > threshold ? c + 1 : c), 0);
  const falsePositives = countAbove(pooled);
  const fpRate = falsePositives / pooled.length;
  const pValueRate = policy === "pooled" ? fpRate : nominalFpRate;
  const pairs = base.pairs.map((p): PairSummary => {
    const mismatches = countAbove(p.distances);
    return {
      ...p,
      mismatches,
      rate: mismatches / p.n,
      rateUpper: clopperPearsonUpper(mismatches, p.n, PAIR_CONFIDENCE),
      pValue: binomialPValue(mismatches, p.n, pValueRate),
    };
  });
  const honestServers = [...new Set(honestPairs.flatMap((p) => [p.a, p.b]))].sort();
  const names = [...new Set(pairs.flatMap((p) => [p.a, p.b]))];
  const cheaterPairs = pairs.filter((p) => p.cluster === "cheater");
  const cheaterServers =
    cheaterPairs.length === 0 ? [] : names.filter((n) => cheaterPairs.every((p) => p.a === n || p.b === n)).sort();
  const fpRateUpper = Math.max(...pairs.filter((p) => p.cluster === "honest" && !p.identical).map((p) => p.rateUpper));
  const significant = pairs.filter((p) => p.cluster === "honest" && p.pValue < PAIR_ALPHA);
  if (policy === "pooled" && significant.length > 0) {
    warnings.push(
      `${POOLED_WARNING} ${significant.length} honest pair(s) significantly above the fp_rate ${fpRate.toFixed(4)} ` +
        `(p < ${PAIR_ALPHA}): ${significant.map((p) => `${p.a} vs ${p.b} ${(p.rate * 100).toFixed(2)}%`).join(", ")}; ` +
        "validators on these machines would flag honest participants more often than the chain assumes: consider --policy worst-pair",
    );
  }
  return {
    threshold,
    policy,
    percentile: pct,
    nominalFpRate,
    pValueRate,
    honestServers,
    cheaterServers,
    honestDistances: pooled.length,
    falsePositives,
    fpRate,
    fpRateUpper,
    identicalPairs: pairs.filter((p) => p.identical).map((p): [string, string] => [p.a, p.b]),
    split: base.split,
    pairs,
    warnings,
  };
}

const POOLED_WARNING = "the pooled threshold leaves";

/** The JSON summary of docs/cli.md (`pocval calibrate --json`). */
export interface CalibrationJson {
  threshold: number;
  policy: Policy;
  percentile: number;
  honest_servers: string[];
  cheater_servers: string[];
  honest_distances: number;
  false_positives: number;
  fp_rate: number;
  fp_rate_upper: number;
  identical_pairs: [string, string][];
  pairs: {
    a: string;
    b: string;
    n: number;
    mean: number;
    std: number;
    max: number;
    mismatches: number;
    rate: number;
    rate_upper: number;
    p_value: number;
    cluster: Cluster;
    identical: boolean;
  }[];
}

/** The JSON summary of docs/cli.md (`pocval calibrate --json`). */
export function calibrationJson(c: Calibration): CalibrationJson {
  return {
    threshold: c.threshold,
    policy: c.policy,
    percentile: c.percentile,
    honest_servers: c.honestServers,
    cheater_servers: c.cheaterServers,
    honest_distances: c.honestDistances,
    false_positives: c.falsePositives,
    fp_rate: c.fpRate,
    fp_rate_upper: c.fpRateUpper,
    identical_pairs: c.identicalPairs,
    pairs: c.pairs.map((p) => ({
      a: p.a,
      b: p.b,
      n: p.n,
      mean: p.mean,
      std: p.std,
      max: p.max,
      mismatches: p.mismatches,
      rate: p.rate,
      rate_upper: p.rateUpper,
      p_value: p.pValue,
      cluster: p.cluster,
      identical: p.identical,
    })),
  };
}
