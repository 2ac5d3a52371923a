// What a check costs (docs/protocol.md, curtailed checks): the expected leaves a validator recomputes
// when it stops at chunk boundaries as soon as the verdict cannot change.

/**
 * Expected leaves checked by a curtailed check (docs/protocol.md): in chunks of `chunk`, stopping once
 * mismatches >= k (CHEATER) or mismatches + (n - checked) < k (HONEST); each leaf mismatches with `rate`.
 * @example expectedCurtailedChecks(200, 8, 0.02, 20) // about 120
 */
export function expectedCurtailedChecks(n: number, k: number, rate: number, chunk: number): number {
  if (k > n) return 0; // never CHEATER: HONEST before checking anything
  if (k <= 0) return 0;
  // dist[x] = P[undecided with x mismatches after t checks]
  let dist = new Float64Array(k);
  dist[0] = 1;
  let expected = 0;
  let t = 0;
  while (t < n) {
    const size = Math.min(chunk, n - t);
    const undecided = dist.reduce((a, b) => a + b, 0);
    if (undecided === 0) break;
    expected += undecided * size;
    const pmf = Float64Array.from({ length: size + 1 }, (_, j) =>
      j === 0 ? (1 - rate) ** size : Math.exp(logChoose(size, j) + j * Math.log(rate) + (size - j) * Math.log1p(-rate)),
    );
    const next = new Float64Array(k);
    t += size;
    for (let x = 0; x < k; x++) {
      const v = dist[x]!;
      if (v === 0) continue;
      for (let j = 0; j <= size && x + j < k; j++) {
        // still open iff x + j < k and x + j + (n - t) >= k
        if (x + j + (n - t) >= k) next[x + j]! += v * pmf[j]!;
      }
    }
    dist = next;
  }
  return expected;
}

function logChoose(n: number, k: number): number {
  let s = 0;
  for (let i = 0; i < k; i++) s += Math.log((n - i) / (i + 1));
  return s;
}

/** A lower bound on expectedCurtailedChecks(n, k, rate, chunk) valid for every k' >= k at P[flag] <= q: HONEST needs n - k + 1 leaves. */
export function curtailedLowerBound(n: number, k: number, chunk: number, q: number): number {
  if (k > n) return 0;
  return (1 - q) * Math.min(n, Math.ceil((n - k + 1) / chunk) * chunk);
}
