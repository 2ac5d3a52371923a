// Load headroom of a whole localnet stage: the scenario (default: the default one) run end to end
// with K extra busy processes spinning, 3 runs per K; the largest K at which every run's verdicts
// are all right is the headroom (issue 24: a validator on a busy machine must not lose its votes).
import { spawn } from "node:child_process";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { ensureBuilt } from "../build.js";
import { startBusy } from "./busy.js";
import { fmt } from "./util.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const RUNS = Number(process.env.HEADROOM_RUNS ?? 3);
const LEVELS = (process.env.HEADROOM_K ?? "0,1,2,3").split(",").map(Number);
/** Extra `localnet run` arguments, e.g. `--scenario localnet/scenarios/slots.json` or `--chain evm`. */
const EXTRA = (process.env.HEADROOM_ARGS ?? "").split(" ").filter(Boolean);

interface RunOutcome {
  ok: boolean;
  wallS: number;
  votes: number;
  expectedVotes: number;
  wrong: string[];
  maxLoad: number;
}

interface LocalnetJson {
  expectations_met: boolean;
  stages: { tallies: { name: string; met: boolean; convicted: boolean; expected: string }[] }[];
  validators: { votes: unknown[] }[];
}

/** One `pocval localnet run --json`, with the load average sampled while it runs. */
function runOnce(): Promise<RunOutcome> {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, ["bin/pocval.js", "localnet", "run", "--json", ...EXTRA], { cwd: ROOT });
    let stdout = "";
    let stderr = "";
    let maxLoad = 0;
    const sampler = setInterval(() => {
      maxLoad = Math.max(maxLoad, loadavg()[0]!);
    }, 1000);
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("exit", () => {
      clearInterval(sampler);
      const wallS = Number(process.hrtime.bigint() - start) / 1e9;
      try {
        const out = JSON.parse(stdout) as LocalnetJson;
        const tallies = out.stages.flatMap((s) => s.tallies);
        const votes = out.validators.reduce((n, v) => n + v.votes.length, 0);
        resolve({
          ok: out.expectations_met,
          wallS,
          votes,
          expectedVotes: out.validators.length * tallies.length,
          wrong: tallies.filter((t) => !t.met).map((t) => `${t.name} (expected ${t.expected})`),
          maxLoad,
        });
      } catch {
        const tail = stderr.trim().split("\n").slice(-3).join(" | ");
        resolve({ ok: false, wallS, votes: 0, expectedVotes: 0, wrong: [`no report: ${tail}`], maxLoad });
      }
    });
  });
}

/**
 * `npm run bench headroom` (HEADROOM_K=0,1,2,3 HEADROOM_RUNS=3 HEADROOM_ARGS="--chain evm"): per K,
 * each run's wall time, votes landed of those expected and wrong verdicts; then the headroom.
 */
export async function bench(): Promise<void> {
  ensureBuilt();
  let headroom = -1;
  for (const k of LEVELS) {
    const load = startBusy(k);
    const outcomes: RunOutcome[] = [];
    try {
      for (let i = 0; i < RUNS; i++) {
        const o = await runOnce();
        outcomes.push(o);
        console.log(
          `  K=${k} run ${i + 1}: ${o.ok ? "all verdicts right" : `WRONG ${o.wrong.join(", ")}`}; votes ${o.votes}/${o.expectedVotes}; ${fmt(o.wallS, 1)} s; peak load ${fmt(o.maxLoad, 1)}`,
        );
      }
    } finally {
      await load.stop();
    }
    const right = outcomes.filter((o) => o.ok).length;
    console.log(`K=${k}: ${right}/${RUNS} runs with every verdict right`);
    // The headroom counts up from the first K tried: it ends at the first K with a wrong verdict.
    if (right === RUNS && (headroom === k - 1 || (headroom < 0 && k === LEVELS[0]))) headroom = k;
  }
  console.log(
    `headroom: ${headroom < 0 ? `none (K = ${LEVELS[0]} already fails)` : `K = ${headroom}`} busy processes (${RUNS} runs each; K tried: ${LEVELS.join(", ")})`,
  );
}
