import { spawnSync } from "node:child_process";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { ensureBuilt } from "../build.js";
import { fmt } from "./util.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const RUNS = Number(process.env.CLI_BENCH_RUNS ?? 15);
const ARGS = ["stats", "binom", "--k", "3", "--n", "100", "--p", "0.01"];

/** Wall-clock milliseconds of one run of `node ...args`; throws when it fails. */
function once(args: string[]): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8" });
  const wall = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return wall;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * `pocval stats binom` start-up: the compiled CLI (bin/pocval.js, dist/) and the same command run
 * from source through tsx (how bin/pocval.js ran before the package was compiled), each against
 * `node -e 0` measured in the same run, interleaved so that load on the machine hits all alike; then
 * `npx pocval` for reference (npm exec's own start-up dominates it).
 */
export async function bench(): Promise<void> {
  ensureBuilt();
  const cases: Record<string, string[]> = {
    "node -e 0": ["-e", "0"],
    "pocval (compiled, bin/pocval.js)": ["bin/pocval.js", ...ARGS],
    "pocval from source (node --import tsx)": ["--import", "tsx", "src/cli/main.ts", ...ARGS],
  };
  const walls: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (const args of Object.values(cases)) once(args); // warm the file cache
  for (let i = 0; i < RUNS; i++) for (const [name, args] of Object.entries(cases)) walls[name]!.push(once(args));
  const base = median(walls["node -e 0"]!);
  console.log(`median of ${RUNS} runs each (load average ${fmt(loadavg()[0]!, 1)}):`);
  for (const [name, xs] of Object.entries(walls)) {
    const m = median(xs);
    console.log(`  ${name.padEnd(40)} ${fmt(m, 0).padStart(6)} ms  ${fmt(m / base, 2)}x node -e 0`);
  }
  const compiled = median(walls["pocval (compiled, bin/pocval.js)"]!);
  const source = median(walls["pocval from source (node --import tsx)"]!);
  console.log(
    `compiled start-up over node's own: +${fmt(compiled - base, 0)} ms; from source it was +${fmt(source - base, 0)} ms (${fmt(source / compiled, 1)}x slower than compiled)`,
  );
  console.log(
    `target: the compiled command well under 500 ms: ${compiled < 500 ? "met" : "NOT met"} (${fmt(compiled, 0)} ms)`,
  );
  // npx itself (npm exec: loading npm, resolving the bin) costs more than the command; `npx -c true`
  // (npm exec running a no-op) is its floor, so the difference is what this package adds.
  const npx = (args: string[]) => {
    const start = process.hrtime.bigint();
    const r = spawnSync("npx", args, { cwd: ROOT, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`npx ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  const viaNpx: number[] = [];
  const npxFloor: number[] = [];
  for (let i = 0; i < 7; i++) {
    viaNpx.push(npx(["pocval", ...ARGS]));
    npxFloor.push(npx(["-c", "true"]));
  }
  const withNpx = median(viaNpx);
  const floor = median(npxFloor);
  console.log(
    `through npx (median of 7): npx pocval ${fmt(withNpx, 0)} ms (${fmt(withNpx / base, 2)}x node -e 0); npx -c true alone ${fmt(floor, 0)} ms (npm's own start-up, outside this package); pocval's share ${fmt(withNpx - floor, 0)} ms`,
  );
  console.log(
    `target: npx pocval under 500 ms: ${withNpx < 500 ? "met" : `NOT met (npm exec alone takes ${fmt(floor, 0)} ms here)`}`,
  );
}
