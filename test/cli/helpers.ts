import { execFile, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const bin = fileURLToPath(new URL("../../bin/pocval.js", import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `pocval ...args` as a user would, through the package's bin. */
export function runCli(args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const r = spawnSync(process.execPath, [bin, ...args], {
    encoding: "utf8",
    timeout: opts.timeoutMs ?? 30_000,
    env: { ...process.env, ...opts.env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const execFileAsync = promisify(execFile);

/** Runs `pocval ...args` without blocking this process, so an in-process node keeps producing blocks. */
export async function runCliAsync(args: string[], timeoutMs = 45_000): Promise<CliResult & { status: number }> {
  try {
    const r = await execFileAsync(process.execPath, [bin, ...args], { timeout: timeoutMs });
    return { status: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { status: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}
