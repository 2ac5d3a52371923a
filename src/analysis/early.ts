// Exact per-check figures of a check with early acceptance (src/core/acceptance.ts): a DP over the
// chunked path gives P[CHEATER verdict] and the expected leaves checked at any true mismatch rate.
import { binomialLogPmf, createRng } from "../core/index.js";
import { wilsonInterval } from "./interval.js";

export interface EarlyCheckFigures {
  /** P[the check ends CHEATER]: mismatches reach k at a chunk boundary before an early acceptance. */
  pCheater: number;
  expectedChecks: number;
}

function chunkPmf(size: number, rate: number): Float64Array {
  return Float64Array.from({ length: size + 1 }, (_, j) =>
    rate <= 0 ? (j === 0 ? 1 : 0) : rate >= 1 ? (j === size ? 1 : 0) : Math.exp(binomialLogPmf(j, size, rate)),
  );
}

/**
 * Chunks of `chunk` leaves; at each boundary t: CHEATER once mismatches >= k; else HONEST when t < n
 * and mismatches <= table[t] (early acceptance) or mismatches + (n - t) < k (curtailed); at t = n HONEST.
 */
export function earlyCheck(
  n: number,
  k: number,
  chunk: number,
  table: readonly number[],
  rate: number,
): EarlyCheckFigures {
  if (k > n) return { pCheater: 0, expectedChecks: 0 };
  let open = new Float64Array(k + 1);
  open[0] = 1;
  let t = 0;
  let pCheater = 0;
  let expectedChecks = 0;
  while (t < n) {
    const size = Math.min(chunk, n - t);
    const pmf = chunkPmf(size, rate);
    expectedChecks += open.reduce((a, b) => a + b, 0) * size;
    t += size;
    const next = new Float64Array(k + 1);
    for (let x = 0; x < k; x++) {
      const v = open[x]!;
      if (v === 0) continue;
      for (let j = 0; j <= size; j++) {
        const y = x + j;
        if (y >= k) pCheater += v * pmf[j]!;
        else if (t < n && y > (table[t] ?? -1) && y + (n - t) >= k) next[y]! += v * pmf[j]!;
      }
    }
    open = next;
  }
  return { pCheater: Math.min(1, pCheater), expectedChecks };
}

/** Seeded Monte Carlo of the same check, for testing the DP: CHEATER count and leaves checked. */
export function monteCarloEarlyCheck(
  n: number,
  k: number,
  chunk: number,
  table: readonly number[],
  rate: number,
  rounds: number,
  seed: number,
): { cheater: number; ci95: [number, number]; meanChecks: number } {
  const rng = createRng(seed);
  let cheater = 0;
  let checks = 0;
  for (let r = 0; r < rounds; r++) {
    let t = 0;
    let x = 0;
    while (t < n) {
      const end = Math.min(n, t + chunk);
      for (; t < end; t++) if (rng.nextFloat() < rate) x++;
      if (x >= k) {
        cheater++;
        break;
      }
      if (t < n && (x <= (table[t] ?? -1) || x + (n - t) < k)) break;
    }
    checks += t;
  }
  return { cheater, ci95: wilsonInterval(cheater, rounds), meanChecks: checks / rounds };
}
