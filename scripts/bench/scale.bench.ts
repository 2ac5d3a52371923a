// The scale scenario (localnet/scenarios/scale.json: 32 participants, 10 validators, slots on) end
// to end: wall time, vote transactions per second and the peak memory of the node, the sidecars,
// the agent processes and the runner (whose threads are the emulated GPUs). SCALE_ARGS adds
// `localnet run` flags, e.g. SCALE_ARGS="--engine cometbft".
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureBuilt } from "../build.js";
import { fmt } from "./util.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const EXTRA = (process.env.SCALE_ARGS ?? "").split(" ").filter(Boolean);

interface ScaleReport {
  expectations_met: boolean;
  run_dir: string;
  seconds: number;
  stages: { tallies: { name: string; met: boolean }[] }[];
  validators: { votes: unknown[] }[];
}

/** Peak resident memory (VmHWM, MiB) of a live process, or undefined once it is gone. */
function peakMiB(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Every live process whose command line names the run folder, by role (node, sidecar, agents, cometbft). */
function runProcesses(runDir: string): { role: string; pid: number }[] {
  const found: { role: string; pid: number }[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ");
    } catch {
      continue;
    }
    if (!cmd.includes(runDir)) continue;
    const role = /sidecar start/.test(cmd)
      ? "sidecar"
      : /participant start/.test(cmd)
        ? "agent process"
        : /node start|abci/.test(cmd)
          ? "node"
          : /cometbft/.test(cmd)
            ? "cometbft"
            : "other";
    found.push({ role, pid: Number(entry) });
  }
  return found;
}

/** Vote transactions that landed (the sidecars' "votes on chain" lines) and the seconds they spread over. */
function voteTransactions(runDir: string): { txs: number; votes: number; spanS: number } {
  const times: number[] = [];
  let votes = 0;
  const logs = join(runDir, "logs");
  for (const file of readdirSync(logs).filter((f) => f.startsWith("sidecar-"))) {
    for (const line of readFileSync(join(logs, file), "utf8").split("\n")) {
      if (!line.includes('"msg":"votes on chain"')) continue;
      const entry = JSON.parse(line) as { time: string; votes: number };
      times.push(Date.parse(entry.time));
      votes += entry.votes;
    }
  }
  const spanS = times.length > 1 ? (Math.max(...times) - Math.min(...times)) / 1000 : 0;
  return { txs: times.length, votes, spanS };
}

/** Runs the scenario with --keep, measures while the network still runs, then stops it with SIGINT. */
export async function bench(): Promise<void> {
  ensureBuilt();
  const args = ["bin/pocval.js", "localnet", "run", "--scenario", "localnet/scenarios/scale.json"];
  const child = spawn(process.execPath, [...args, "--json", "--keep", ...EXTRA], { cwd: ROOT });
  const started = process.hrtime.bigint();
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const report = await new Promise<ScaleReport | undefined>((resolve) => {
    child.stdout.on("data", (d) => {
      stdout += d;
      try {
        resolve(JSON.parse(stdout) as ScaleReport);
      } catch {
        // not the whole object yet
      }
    });
    child.on("exit", () => resolve(undefined));
  });
  const wallS = Number(process.hrtime.bigint() - started) / 1e9;
  if (!report) {
    console.log(`the run failed: ${stderr.trim().split("\n").slice(-3).join(" | ")}`);
    return;
  }
  const peaks = new Map<string, number[]>();
  for (const { role, pid } of runProcesses(report.run_dir)) {
    const mib = peakMiB(pid);
    if (mib !== undefined) peaks.set(role, [...(peaks.get(role) ?? []), mib]);
  }
  const runner = child.pid === undefined ? undefined : peakMiB(child.pid);
  const tx = voteTransactions(report.run_dir);
  child.kill("SIGINT");
  await new Promise((r) => child.once("exit", r));
  const tallies = report.stages.flatMap((s) => s.tallies);
  const wrong = tallies.filter((t) => !t.met).map((t) => t.name);
  console.log(
    `${tallies.length} participants, ${report.validators.length} validators: ${wrong.length === 0 ? "every verdict right" : `WRONG: ${wrong.join(", ")}`}`,
  );
  console.log(`wall ${fmt(wallS, 1)} s to the report (the run's own count: ${fmt(report.seconds, 1)} s)`);
  console.log(
    `vote transactions: ${tx.txs} carrying ${tx.votes} votes over ${fmt(tx.spanS, 1)} s: ${fmt(tx.spanS > 0 ? tx.txs / tx.spanS : 0, 2)} tx/s, ${fmt(tx.spanS > 0 ? tx.votes / tx.spanS : 0, 1)} votes/s`,
  );
  for (const [role, list] of [...peaks].sort()) {
    console.log(
      `peak memory ${role.padEnd(13)} x${list.length}: max ${fmt(Math.max(...list), 0)} MiB, sum ${fmt(
        list.reduce((a, b) => a + b, 0),
        0,
      )} MiB`,
    );
  }
  if (runner !== undefined) console.log(`peak memory runner (backend threads): ${fmt(runner, 0)} MiB`);
}
