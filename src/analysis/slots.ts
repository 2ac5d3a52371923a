// Exact error rates of validation slot designs (docs/protocol.md, Version 2): participant P gets m
// slots drawn with replacement by stake; a holder of c slots checks once and its vote counts c
// times; convicted iff cheater_slots * quorum_den > m * quorum_num.
//
// The slot counts are multinomial: P(c_1..c_V) = m! prod p_i^c_i / c_i!. A dynamic program over
// validators keeps g[a][c] = P(first i validators hold a slots, c of them cheater) * (scaled so
// that after the last validator g[m][c] = P[cheater slots = c]): validator i taking j slots
// multiplies by C(a + j, j) p_i^j and, for j > 0, by q (cheater) or 1 - q (honest). One pass
// serves every m <= maxSlots.
import { binomialPValue, createRng, kCrit, type Rational } from "../core/index.js";
import { wilsonInterval } from "./interval.js";
import { SimulationInputError } from "./simulate.js";

function shares(stakes: readonly (number | bigint)[]): number[] {
  if (stakes.length === 0) throw new SimulationInputError("stakes", "at least one validator is needed");
  const big = stakes.map((s, i) => {
    const v = BigInt(s);
    if (v < 0n) throw new SimulationInputError(`stakes[${i}]`, `must be >= 0, got ${v}`);
    return v;
  });
  const total = big.reduce((a, b) => a + b, 0n);
  if (total === 0n) throw new SimulationInputError("stakes", "the total stake is 0");
  return big.map((s) => Number(s) / Number(total));
}

function checkSlots(maxSlots: number): void {
  if (!(Number.isSafeInteger(maxSlots) && maxSlots >= 1 && maxSlots <= 2000)) {
    throw new SimulationInputError("slots", `must be an integer in 1..2000, got ${maxSlots}`);
  }
}

/**
 * rows[m][c] = P[cheater slots = c] with m slots, for m = 0 .. maxSlots, when every validator votes
 * cheater independently with probability q, or validator i with q[i] (each holder once, its vote
 * counting its slots).
 * @example cheaterSlotDistribution([1, 1], 1, 0.5)[1] // Float64Array [0.5, 0.5]
 */
export function cheaterSlotDistribution(
  stakes: readonly (number | bigint)[],
  maxSlots: number,
  q: number | readonly number[],
): Float64Array[] {
  checkSlots(maxSlots);
  // One probability for every validator, or one per validator (validators on different hardware).
  const qs = typeof q === "number" ? stakes.map(() => q) : q;
  if (qs.length !== stakes.length) {
    throw new SimulationInputError("q", `${qs.length} vote probabilities for ${stakes.length} validators`);
  }
  for (const x of qs) if (!(x >= 0 && x <= 1)) throw new SimulationInputError("q", `must be in [0, 1], got ${x}`);
  const M = maxSlots;
  const width = M + 1;
  // g[a * width + c]; binom[a][j] = C(a, j) as doubles (exact up to 2^53, then a relative 1e-16).
  let g = new Float64Array(width * width);
  let next = new Float64Array(width * width);
  g[0] = 1;
  const binom: Float64Array[] = [];
  for (let a = 0; a <= M; a++) {
    const row = new Float64Array(a + 1);
    row[0] = 1;
    row[a] = 1;
    for (let j = 1; j < a; j++) row[j] = binom[a - 1]![j - 1]! + binom[a - 1]![j]!;
    binom.push(row);
  }
  const pj = new Float64Array(width);
  for (const [i, p] of shares(stakes).entries()) {
    if (p === 0) continue;
    const qi = qs[i]!;
    pj[0] = 1;
    for (let j = 1; j <= M; j++) pj[j] = pj[j - 1]! * p;
    next.fill(0);
    for (let a = 0; a <= M; a++) {
      for (let c = 0; c <= a; c++) {
        const v = g[a * width + c]!;
        if (v === 0) continue;
        next[a * width + c]! += v; // j = 0: no slot, the vote does not matter
        let previous = 1;
        for (let j = 1; a + j <= M; j++) {
          const factor = binom[a + j]![j]! * pj[j]!;
          // Past its peak and below 1e-40 the term only falls: the rest changes no digit that matters.
          if (factor < 1e-40 && factor < previous) break;
          previous = factor;
          const w = v * factor;
          const base = (a + j) * width;
          next[base + c + j]! += w * qi;
          next[base + c]! += w * (1 - qi);
        }
      }
    }
    [g, next] = [next, g];
  }
  return Array.from({ length: width }, (_, m) => g.slice(m * width, m * width + m + 1));
}

/** P[convicted] = P[cheater_slots * den > m * num] from one row of cheaterSlotDistribution. */
export function slotConviction(row: Float64Array, quorum: Rational = { num: 1n, den: 2n }): number {
  const m = BigInt(row.length - 1);
  let sum = 0;
  for (let c = row.length - 1; c >= 0 && BigInt(c) * quorum.den > m * quorum.num; c--) sum += row[c]!;
  return Math.min(1, sum);
}

/**
 * E[number of distinct slot holders] with m slots: sum_i 1 - (1 - p_i)^m. Each holder checks the
 * participant once, so expected recomputes per participant are this times the leaves each checks.
 */
export function expectedHolders(stakes: readonly (number | bigint)[], m: number): number {
  if (m === 0) return stakes.filter((s) => BigInt(s) > 0n).length;
  return shares(stakes).reduce((sum, p) => sum + (p === 0 ? 0 : -Math.expm1(m * Math.log1p(-p))), 0);
}

/**
 * The same distribution as cheaterSlotDistribution for one m, as exact fractions (bigint), for small
 * networks: P[cheater slots = c] = num[c] / den.
 */
export function cheaterSlotDistributionExact(
  stakes: readonly bigint[],
  m: number,
  q: Rational,
): { num: bigint[]; den: bigint } {
  checkSlots(m);
  const total = stakes.reduce((a, b) => a + b, 0n);
  if (total <= 0n) throw new SimulationInputError("stakes", "the total stake is 0");
  const width = m + 1;
  // Row a's numerators are over total^a * q.den^i after i validators.
  let g: bigint[] = new Array(width * width).fill(0n);
  g[0] = 1n;
  const binom = (n: number, k: number): bigint => {
    let r = 1n;
    for (let i = 0; i < k; i++) r = (r * BigInt(n - i)) / BigInt(i + 1);
    return r;
  };
  for (const s of stakes) {
    const next: bigint[] = new Array(width * width).fill(0n);
    for (let a = 0; a <= m; a++) {
      for (let c = 0; c <= a; c++) {
        const v = g[a * width + c]!;
        if (v === 0n) continue;
        // Row a + j's numerators are over total^(a+j) * q.den^(i+1): multiply by C(a+j, j) s^j and the vote.
        for (let j = 0; a + j <= m; j++) {
          const w = v * binom(a + j, j) * s ** BigInt(j);
          const base = (a + j) * width;
          if (j === 0) next[base + c]! += w * q.den;
          else {
            next[base + c + j]! += w * q.num;
            next[base + c]! += w * (q.den - q.num);
          }
        }
      }
    }
    g = next;
  }
  const den = total ** BigInt(m) * q.den ** BigInt(stakes.length);
  return { num: g.slice(m * width, m * width + m + 1), den };
}

/** Seeded Monte Carlo of the same slot vote: draw m slots by stake, each holder votes cheater once with probability q. */
export function monteCarloSlots(
  stakes: readonly (number | bigint)[],
  m: number,
  q: number,
  rounds: number,
  seed: number,
  quorum: Rational = { num: 1n, den: 2n },
): { rounds: number; seed: number; convicted: number; pConvicted: number; ci95: [number, number] } {
  checkSlots(m);
  const p = shares(stakes);
  const cumulative = new Float64Array(p.length);
  p.reduce((sum, v, i) => {
    cumulative[i] = sum + v;
    return sum + v;
  }, 0);
  const rng = createRng(seed);
  const vote = new Int8Array(p.length);
  const counts = new Int32Array(p.length);
  let convicted = 0;
  for (let r = 0; r < rounds; r++) {
    counts.fill(0);
    for (let j = 0; j < m; j++) {
      const u = rng.nextFloat() * cumulative[p.length - 1]!;
      let lo = 0;
      let hi = p.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cumulative[mid]! > u) hi = mid;
        else lo = mid + 1;
      }
      counts[lo]!++;
    }
    let cheater = 0;
    for (let i = 0; i < p.length; i++) {
      if (counts[i] === 0) continue;
      vote[i] = rng.nextFloat() < q ? 1 : 0;
      if (vote[i]) cheater += counts[i]!;
    }
    if (BigInt(cheater) * quorum.den > BigInt(m) * quorum.num) convicted++;
  }
  return { rounds, seed, convicted, pConvicted: convicted / rounds, ci95: wilsonInterval(convicted, rounds) };
}

export interface SlotNetworkResult {
  validators: number;
  slots: number;
  n: number;
  rate: number;
  fpRate: number;
  alpha: number;
  kCrit: number;
  detectionProbability: number;
  expectedHolders: number;
  exact: { pConvicted: number; cheaterSlots: number[] };
  monteCarlo: ReturnType<typeof monteCarloSlots>;
}

/**
 * `simulate network --slots m`: every slot holder checks n nonces of a target at mismatch rate `rate`
 * and votes cheater with q = P[Binomial(n, rate) >= k_crit]; exact (the multinomial DP) beside Monte Carlo.
 */
export function simulateSlotNetwork(options: {
  stakes: readonly bigint[];
  slots: number;
  rate: number;
  n: number;
  fpRate: number;
  alpha: number;
  quorum?: Rational;
  rounds: number;
  seed: number;
}): SlotNetworkResult {
  const { stakes, slots, rate, n, fpRate, alpha, rounds, seed, quorum = { num: 1n, den: 2n } } = options;
  const k = kCrit(n, String(fpRate), String(alpha));
  const q = binomialPValue(k, n, rate);
  const row = cheaterSlotDistribution(stakes, slots, q)[slots]!;
  return {
    validators: stakes.filter((s) => s > 0n).length,
    slots,
    n,
    rate,
    fpRate,
    alpha,
    kCrit: k,
    detectionProbability: q,
    expectedHolders: expectedHolders(stakes, slots),
    exact: { pConvicted: slotConviction(row, quorum), cheaterSlots: [...row] },
    monteCarlo: monteCarloSlots(stakes, slots, q, rounds, seed, quorum),
  };
}
