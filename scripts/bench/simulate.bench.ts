import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { exactNetwork, loadStakes, monteCarloNetwork } from "../../src/analysis/index.js";
import { binomialPValue, criticalCount } from "../../src/core/index.js";
import { fmt, timeMs } from "./util.js";

const ROUNDS = 100_000;
/** Each figure is the best of this many runs: the machine may be shared. */
const REPEATS = 3;

async function bestMs(fn: () => unknown): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < REPEATS; i++) best = Math.min(best, await timeMs(fn));
  return best;
}
const STAKES = fileURLToPath(new URL("../../localnet/stakes/377-heavy-tailed.json", import.meta.url));
const NUMPY_SCRIPT = fileURLToPath(new URL("./simulate_numpy.py", import.meta.url));

interface NumpyRun {
  ms: number;
  p_convicted: number;
  share_median: number;
  share_p95: number;
}

function runNumpy(q: number): Promise<{ wallMs: number; result: NumpyRun } | { error: string }> {
  const start = process.hrtime.bigint();
  return new Promise((resolve) => {
    execFile(
      "python3",
      [NUMPY_SCRIPT, STAKES, String(q), String(ROUNDS), "1", String(REPEATS)],
      { timeout: 120_000 },
      (err, stdout, stderr) => {
        if (err) return resolve({ error: `${err.message.split("\n")[0]} ${stderr.trim().split("\n").pop() ?? ""}` });
        const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
        resolve({ wallMs, result: JSON.parse(stdout) as NumpyRun });
      },
    );
  });
}

/**
 * 100,000 network rounds over the 377-validator preset: Monte Carlo, exact DP, and numpy's
 * vectorized Monte Carlo, each the best of REPEATS runs.
 */
export async function bench(): Promise<void> {
  const stakes = await loadStakes(STAKES);
  // The report's dishonest target: 4% mismatches, 200 checks, alpha 0.05 at fp-rate 2%.
  const q = binomialPValue(criticalCount(200, 0.02, 0.05), 200, 0.04);
  // One warm-up round of each so that the JIT has seen the loops.
  monteCarloNetwork(stakes, q, 0.5, 1000, 2);
  exactNetwork(stakes.slice(0, 50), q, 0.5);

  let mc = monteCarloNetwork(stakes, q, 0.5, 1, 1);
  const mcMs = await bestMs(() => {
    mc = monteCarloNetwork(stakes, q, 0.5, ROUNDS, 1);
  });
  let exact = exactNetwork(stakes, q, 0.5);
  const exactMs = await bestMs(() => {
    exact = exactNetwork(stakes, q, 0.5);
  });
  const np = await runNumpy(q);

  console.log(
    `network: ${stakes.length} validators, ${ROUNDS.toLocaleString("en-US")} rounds, per-validator detection ${fmt(q, 6)}`,
  );
  console.log(
    `Monte Carlo (TypeScript):  ${fmt(mcMs, 0)} ms  p_convicted ${fmt(mc.pConvicted, 5)} [${fmt(mc.ci95[0], 5)}, ${fmt(mc.ci95[1], 5)}]`,
  );
  console.log(
    `exact DP (${exact.discretisation.gridTotal} units): ${fmt(exactMs, 0)} ms  p_convicted ${fmt(exact.pConvicted, 5)}`,
  );
  if ("error" in np) {
    console.log(`numpy Monte Carlo: not run (${np.error})`);
  } else {
    console.log(
      `Monte Carlo (numpy):       ${fmt(np.result.ms, 0)} ms in-process (child wall ${fmt(np.wallMs, 0)} ms for ${REPEATS} runs + start)  p_convicted ${fmt(np.result.p_convicted, 5)}`,
    );
    console.log(`ratio numpy / TypeScript Monte Carlo: ${fmt(np.result.ms / mcMs)}x (above 1: TypeScript is faster)`);
  }
  console.log(`ratio exact / Monte Carlo (TypeScript): ${fmt(exactMs / mcMs)}x`);
}
