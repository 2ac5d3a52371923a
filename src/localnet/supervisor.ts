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

/** What the supervisor knows of its children; the functions below share it. */
interface SupervisorState {
  runDir: string;
  children: SupervisedChild[];
  stopping: boolean;
  fail: (err: Error) => void;
  failures: ChildFailedError[];
  listeners: ((err: ChildFailedError) => void)[];
  /** Children stopped on purpose (kill): their exit is no failure. */
  planned: Set<SupervisedChild>;
  /** Children whose exit is not yet a failure (see StartOptions.probation). */
  onProbation: Set<SupervisedChild>;
}

/** Starts and watches the localnet's child processes; nothing it started outlives stopAll or this process. */
export function createSupervisor(runDir: string): Supervisor {
  const state: SupervisorState = {
    runDir,
    children: [],
    stopping: false,
    fail: () => {},
    failures: [],
    listeners: [],
    planned: new Set(),
    onProbation: new Set(),
  };
  const failed = new Promise<never>((_, reject) => {
    state.fail = reject;
  });
  failed.catch(() => {}); // observed by whoever awaits it
  const killAll = () => {
    for (const c of state.children) if (isRunning(c)) c.process.kill("SIGKILL");
  };
  process.once("exit", killAll);
  const startProgram: Supervisor["startProgram"] = (name, file, args, env, opts) =>
    spawnChild(state, name, file, args, env, opts);
  return {
    children: state.children,
    failed,
    onFailure(listener) {
      state.listeners.push(listener);
      for (const err of state.failures) listener(err);
    },
    tail: (name, lines) => tailOf(state, name, lines),
    startProgram,
    start: (name, args, env, opts) => startProgram(name, process.execPath, [POCVAL_BIN, ...args], env, opts),
    confirm: (child) => confirmChild(state, child),
    kill: (name, signal) => killChild(state, name, signal),
    async stopAll(graceMs = 5000) {
      await stopChildren(state, graceMs);
      process.removeListener("exit", killAll);
    },
  };
}

function isRunning(child: SupervisedChild): boolean {
  return child.process.exitCode === null && child.process.signalCode === null;
}

function exitText(code: number | null, signal: NodeJS.Signals | string | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

/** An unplanned exit: remembered, fails the run, and told to every listener. */
function report(state: SupervisorState, err: ChildFailedError): void {
  state.failures.push(err);
  state.fail(err);
  for (const l of state.listeners) l(err);
}

/** Whether this child's exit is a failure of the run now. */
function exitCounts(state: SupervisorState, child: SupervisedChild): boolean {
  return !state.stopping && !state.planned.has(child) && !state.onProbation.has(child);
}

function tailOf(state: SupervisorState, name: string, lines = 30): string {
  const child = [...state.children].reverse().find((c) => c.name === name);
  if (!child) return "";
  try {
    return readFileSync(child.logPath, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

function spawnChild(
  state: SupervisorState,
  name: string,
  file: string,
  args: string[],
  env?: NodeJS.ProcessEnv,
  opts: StartOptions = {},
): SupervisedChild {
  const logPath = join(state.runDir, "logs", `${name}.log`);
  const fd = openSync(logPath, "a");
  const proc = spawn(file, args, {
    stdio: ["ignore", fd, fd],
    env: { ...process.env, ...env },
  });
  closeSync(fd);
  const child = { name, logPath, process: proc };
  state.children.push(child);
  if (opts.probation) state.onProbation.add(child);
  proc.on("exit", (code, signal) => {
    if (exitCounts(state, child))
      report(state, new ChildFailedError(name, exitText(code, signal), tailOf(state, name)));
  });
  proc.on("error", (err) => {
    if (exitCounts(state, child))
      report(state, new ChildFailedError(name, `could not start (${err.message})`, tailOf(state, name)));
  });
  return child;
}

function confirmChild(state: SupervisorState, child: SupervisedChild): void {
  if (!state.onProbation.delete(child) || state.stopping || state.planned.has(child)) return;
  if (!isRunning(child)) {
    const exit = exitText(child.process.exitCode, child.process.signalCode);
    report(state, new ChildFailedError(child.name, exit, tailOf(state, child.name)));
  }
}

async function killChild(state: SupervisorState, name: string, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
  const child = [...state.children].reverse().find((c) => c.name === name);
  if (!child) throw new Error(`no child named ${name}`);
  state.planned.add(child);
  if (!isRunning(child)) return;
  await new Promise<void>((resolve) => {
    child.process.once("exit", () => resolve());
    child.process.kill(signal);
  });
}

/** SIGTERM to every running child, SIGKILL after graceMs. */
async function stopChildren(state: SupervisorState, graceMs: number): Promise<void> {
  state.stopping = true;
  const alive = state.children.filter(isRunning);
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
}
