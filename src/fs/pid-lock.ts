// The one process lock of the project: the node's home and the participant's data directory use it.
// A lock is a file holding its owner's pid, created with O_EXCL (atomic: of two creators exactly one
// gets it). A lock whose owner is dead (kill -9) is taken over, but only under a second O_EXCL file,
// the breaker, after re-reading the lock: so two processes that both saw the same stale lock cannot
// both remove it and then both believe they hold a fresh one.
import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { resolve } from "node:path";

/** Lock files this process holds: our own pid in one of them is a holder, not a reused pid. */
const held = new Set<string>();
/** An empty lock older than this was left by a creator that died between create and write. */
const EMPTY_LOCK_STALE_MS = 2_000;

/** The lock is held by another live process. */
export class PidLockedError extends Error {
  override name = "PidLockedError";
  constructor(
    /** The lock file. */
    readonly path: string,
    /** Its owner, NaN if it could not be read (a holder that is still writing it). */
    readonly pid: number,
    message: string,
  ) {
    super(message);
  }
}

export interface PidLockOptions {
  /** What the lock guards, for the error: "data directory /x/data" (default: the lock file). */
  what?: string;
  /** What the user should do, appended to the error: "stop that node first". */
  hint?: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The pid a lock file names; NaN when it is missing, empty (being written) or not a pid. */
function readOwner(path: string): number {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return Number.NaN;
  }
  const pid = Number(text.trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : Number.NaN;
}

/** Creates path with our pid if it does not exist; false if it does. */
function createExclusive(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, "wx", 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
  try {
    writeSync(fd, `${process.pid}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Whether the owner of lock file `path` named `pid` (NaN: unreadable or empty) may still be using it. */
function live(path: string, pid: number): boolean {
  if (Number.isNaN(pid)) {
    try {
      return Date.now() - statSync(path).mtimeMs < EMPTY_LOCK_STALE_MS;
    } catch {
      return false; // gone
    }
  }
  return pid === process.pid ? held.has(resolve(path)) : alive(pid);
}

/**
 * Removes `path` if it still names a dead owner, under the breaker `path.break`; true if it did
 * (or the lock had gone meanwhile), false if another process is breaking it right now.
 */
function breakStale(path: string): boolean {
  const breaker = `${path}.break`;
  if (!createExclusive(breaker)) {
    // A breaker left by a process that died while breaking would block everyone: remove it.
    const owner = readOwner(breaker);
    if (!Number.isNaN(owner) && owner !== process.pid && !alive(owner)) rmSync(breaker, { force: true });
    return false;
  }
  try {
    // Only a breaker removes the lock, so what we read now stays until we remove it.
    if (!live(path, readOwner(path))) rmSync(path, { force: true });
    return true;
  } finally {
    rmSync(breaker, { force: true });
  }
}

/**
 * Takes the lock file `path` for this process; a lock left by a dead process is taken over.
 * Throws PidLockedError when a live process holds it.
 * @returns the release function (removes the lock)
 * @example const release = acquirePidLock(join(home, "data", "LOCK"), { hint: "stop that node first" });
 */
export function acquirePidLock(path: string, opts: PidLockOptions = {}): () => void {
  const refuse = (pid: number) => {
    const what = opts.what ?? path;
    const by = Number.isNaN(pid) ? "another process (its lock is being written)" : `process ${pid}`;
    return new PidLockedError(path, pid, `${what} is in use by ${by}${opts.hint ? `; ${opts.hint}` : ""}`);
  };
  const key = resolve(path);
  for (let attempt = 0; attempt < 20; attempt++) {
    if (createExclusive(path)) {
      held.add(key);
      return () => {
        held.delete(key);
        rmSync(path, { force: true });
      };
    }
    const owner = readOwner(path);
    if (!Number.isNaN(owner) && live(path, owner)) throw refuse(owner);
    // Stale, gone, or empty (its creator is between create and write): break only what is stale.
    if (!breakStale(path) || Number.isNaN(owner)) {
      const until = Date.now() + 5;
      while (Date.now() < until);
    }
  }
  throw refuse(readOwner(path));
}

/**
 * The pid of the live process holding lock file `path`, or undefined when nobody does (no file, or
 * its owner is dead): a look that takes nothing, for a check such as `sidecar doctor`'s.
 */
export function pidLockHolder(path: string): number | undefined {
  const pid = readOwner(path);
  try {
    statSync(path);
  } catch {
    return undefined;
  }
  return live(path, pid) ? pid : undefined;
}
