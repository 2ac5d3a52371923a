// The localnet's child processes: started with logs to files, watched, stopped together.
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PocvalError } from "../core/index.js";

const POCVAL_BIN = fileURLToPath(new URL("../../bin/pocval.js", import.meta.url));

/** A child process of the localnet that stopped while it was still needed. */
export class ChildFailedError extends PocvalError {
  override name = "ChildFailedError";
  constructor(
    readonly child: string,
    readonly exit: string,
    readonly logTail: string,
  ) {
    super(`${child} ${exit}; last lines of its log:\n${logTail}`);
  }
}

export interface SupervisedChild {
  name: string;
  logPath: string;
  process: ChildProcess;
}

export interface Supervisor {
  /** Starts `pocval <args>` with its stdout and stderr in `<runDir>/logs/<name>.log`. */
  start(name: string, args: string[], env?: NodeJS.ProcessEnv, opts?: StartOptions): SupervisedChild;
  /** Starts another program (e.g. cometbft) the same way. */
  startProgram(
    name: string,
    file: string,
    args: string[],
    env?: NodeJS.ProcessEnv,
    opts?: StartOptions,
  ): SupervisedChild;
  /** Ends a child's probation: from now on its exit is a failure (at once if it has already exited). */
  confirm(child: SupervisedChild): void;
  /** Sends signal to the named child (SIGKILL by default) as a planned stop: no failure; resolves on exit. */
  kill(name: string, signal?: NodeJS.Signals): Promise<void>;
  /** Rejects as soon as any child exits before stopAll is called. */
  readonly failed: Promise<never>;
  /**
   * Calls listener with every unplanned exit from now on (and those already seen), not only the
   * first: a network left running (`--keep`) reports each child that dies.
   */
  onFailure(listener: (err: ChildFailedError) => void): void;
  /** The last lines of a child's log. */
  tail(name: string, lines?: number): string;
  /** SIGTERM to every child, SIGKILL after graceMs; resolves when all have exited. */
  stopAll(graceMs?: number): Promise<void>;
  readonly children: readonly SupervisedChild[];
}

export interface StartOptions {
  /**
   * Its exit is not a failure until `confirm(child)`: the caller watches the start (a child that
   * may lose its port to another process and is started again on a fresh one).
   */
  probation?: boolean;
}

/** Starts and watches the localnet's child processes; nothing it started outlives stopAll or this process. */
export function createSupervisor(runDir: string): Supervisor {
  const children: SupervisedChild[] = [];
  let stopping = false;
  let fail: (err: Error) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failed.catch(() => {}); // observed by whoever awaits it
  const failures: ChildFailedError[] = [];
  const listeners: ((err: ChildFailedError) => void)[] = [];
  const report = (err: ChildFailedError) => {
    failures.push(err);
    fail(err);
    for (const l of listeners) l(err);
  };

  const killAll = () => {
    for (const c of children)
      if (c.process.exitCode === null && c.process.signalCode === null) c.process.kill("SIGKILL");
  };
  process.once("exit", killAll);

  const tail = (name: string, lines = 30): string => {
    const child = [...children].reverse().find((c) => c.name === name);
    if (!child) return "";
    try {
      return readFileSync(child.logPath, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "(no log)";
    }
  };

  const planned = new Set<SupervisedChild>();
  const onProbation = new Set<SupervisedChild>();
  const startProgram = (
    name: string,
    file: string,
    args: string[],
    env?: NodeJS.ProcessEnv,
    opts: StartOptions = {},
  ): SupervisedChild => {
    const logPath = join(runDir, "logs", `${name}.log`);
    const fd = openSync(logPath, "a");
    const proc = spawn(file, args, {
      stdio: ["ignore", fd, fd],
      env: { ...process.env, ...env },
    });
    closeSync(fd);
    const child = { name, logPath, process: proc };
    children.push(child);
    if (opts.probation) onProbation.add(child);
    proc.on("exit", (code, signal) => {
      if (stopping || planned.has(child) || onProbation.has(child)) return;
      const exit = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      report(new ChildFailedError(name, exit, tail(name)));
    });
    proc.on("error", (err) => {
      if (!stopping && !planned.has(child) && !onProbation.has(child))
        report(new ChildFailedError(name, `could not start (${err.message})`, tail(name)));
    });
    return child;
  };

  return {
    children,
    failed,
    onFailure(listener) {
      listeners.push(listener);
      for (const err of failures) listener(err);
    },
    tail,
    startProgram,
    start: (name, args, env, opts) => startProgram(name, process.execPath, [POCVAL_BIN, ...args], env, opts),
    confirm(child) {
      if (!onProbation.delete(child) || stopping || planned.has(child)) return;
      const { exitCode, signalCode } = child.process;
      if (exitCode !== null || signalCode !== null) {
        const exit = signalCode ? `was killed by ${signalCode}` : `exited with code ${exitCode}`;
        report(new ChildFailedError(child.name, exit, tail(child.name)));
      }
    },
    async kill(name, signal = "SIGKILL") {
      const child = [...children].reverse().find((c) => c.name === name);
      if (!child) throw new Error(`no child named ${name}`);
      planned.add(child);
      if (child.process.exitCode !== null || child.process.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        child.process.once("exit", () => resolve());
        child.process.kill(signal);
      });
    },
    async stopAll(graceMs = 5000) {
      stopping = true;
      const alive = children.filter((c) => c.process.exitCode === null && c.process.signalCode === null);
      await Promise.all(
        alive.map(
          (c) =>
            new Promise<void>((resolve) => {
              const timer = setTimeout(() => c.process.kill("SIGKILL"), graceMs);
              c.process.once("exit", () => {
                clearTimeout(timer);
                resolve();
              });
              c.process.kill("SIGTERM");
            }),
        ),
      );
      process.removeListener("exit", killAll);
    },
  };
}
