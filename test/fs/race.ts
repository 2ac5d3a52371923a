import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";

/** Output lines of a child process as they come. */
function lines(proc: ChildProcess): { all: string[]; waitFor(n: number): Promise<void> } {
  const all: string[] = [];
  let buffer = "";
  const waiters: (() => void)[] = [];
  proc.stdout?.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split("\n");
    buffer = parts.pop() ?? "";
    all.push(...parts);
    for (const w of waiters.splice(0)) w();
  });
  const waitFor = (n: number) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (all.length >= n) resolve();
        else if (proc.exitCode !== null) reject(new Error(`child exited ${proc.exitCode} after: ${all.join(" | ")}`));
        else waiters.push(check);
      };
      proc.once("exit", () => check());
      check();
    });
  return { all, waitFor };
}

/**
 * Starts `count` children (`node --import tsx script ...args goFile`), waits until each has printed
 * its first line ("ready"), creates goFile so they all go at once, and returns each child's second line
 * (its outcome) and a function to wait for all of them to exit.
 */
export async function raceChildren(
  script: string,
  args: string[],
  count: number,
  goFile: string,
): Promise<{ outcomes: string[]; exited: () => Promise<void>; kill: () => void }> {
  const procs = Array.from({ length: count }, () =>
    spawn(process.execPath, ["--import", "tsx", script, ...args, goFile], { stdio: ["ignore", "pipe", "inherit"] }),
  );
  const outs = procs.map(lines);
  try {
    await Promise.all(outs.map((o) => o.waitFor(1)));
    writeFileSync(goFile, "");
    await Promise.all(outs.map((o) => o.waitFor(2)));
  } catch (err) {
    for (const p of procs) p.kill("SIGKILL");
    throw err;
  }
  return {
    outcomes: outs.map((o) => o.all[1]!),
    exited: () =>
      Promise.all(procs.map((p) => (p.exitCode !== null ? undefined : new Promise((r) => p.once("exit", r))))).then(
        () => undefined,
      ),
    kill: () => {
      for (const p of procs) p.kill("SIGKILL");
    },
  };
}
