"""The network Monte Carlo of src/analysis/network.ts, vectorized with numpy, for the benchmark.

usage: python3 simulate_numpy.py STAKES_JSON Q ROUNDS SEED [REPEATS]
Prints one JSON object; `ms` is the best of REPEATS runs of the simulation alone (not the
interpreter or the numpy import).
"""

import json
import sys
import time

import numpy as np


def main() -> None:
    path, q, rounds, seed = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    with open(path) as f:
        raw = json.load(f)
    stakes = np.array([s["stake"] if isinstance(s, dict) else s for s in raw], dtype=np.float64)
    total = stakes.sum()
    repeats = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    best = float("inf")
    for _ in range(repeats):
        rng = np.random.default_rng(seed)
        start = time.perf_counter()
        shares = np.empty(rounds)
        # Chunks keep the uniform matrix near 30 MB instead of rounds x validators doubles at once.
        chunk = 10_000
        for lo in range(0, rounds, chunk):
            hi = min(rounds, lo + chunk)
            votes = rng.random((hi - lo, stakes.size)) < q
            shares[lo:hi] = (votes @ stakes) / total
        convicted = int((shares * total > total / 2).sum())
        median, p95 = np.percentile(shares, [50, 95])
        best = min(best, (time.perf_counter() - start) * 1000)
    ms = best
    print(json.dumps({"ms": ms, "rounds": rounds, "p_convicted": convicted / rounds, "share_median": median, "share_p95": p95}))


if __name__ == "__main__":
    main()
