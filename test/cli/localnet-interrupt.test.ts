// `pocval localnet run` interrupted by SIGTERM mid-run: the command stops every child it started
// (node, participants, sidecars) before it exits, so nothing outlives it.
import { execFileSync, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const bin = fileURLToPath(new URL("../../bin/pocval.js", import.meta.url));

/** The pids of every descendant of pid (ps, as an operator would look). */
function descendants(pid: number): number[] {
  const rows = execFileSync("ps", ["-e", "-o", "pid=,ppid="], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((l) => l.trim().split(/\s+/).map(Number) as [number, number]);
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, parent] of rows) {
      if (parent === p) {
        out.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("localnet run interrupted", () => {
  it("SIGTERM after the agents start: every child stopped, exit 1 naming the signal", async () => {
    const cli = spawn(process.execPath, [bin, "localnet", "run"], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    const started = new Promise<void>((resolve, reject) => {
      cli.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
        if (/sidecars started/.test(stderr)) resolve();
      });
      cli.once("exit", (code) => reject(new Error(`exited ${code} before the agents started:\n${stderr}`)));
    });
    await started;
    const children = descendants(cli.pid!);
    expect(children.length).toBeGreaterThan(3);
    const exited = new Promise<number | null>((resolve) => cli.once("exit", (code) => resolve(code)));
    cli.kill("SIGTERM");
    const code = await exited;
    expect(code).toBe(1);
    expect(stderr).toMatch(/SIGTERM: stopped before the end: every process stopped; logs kept in (\S+)/);
    expect(children.filter(alive)).toEqual([]);
    const runDir = /logs kept in (\S+)/.exec(stderr)![1]!;
    execFileSync("rm", ["-rf", runDir]);
  }, 90_000);
});
