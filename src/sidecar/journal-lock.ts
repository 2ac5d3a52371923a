// One sidecar per journal: a running sidecar holds the project's pid lock (src/fs) on
// `<journal>.lock` for its whole life, so a second one on the same journal (two processes signing
// the same validator's votes from one record) refuses to start, and `sidecar doctor` can tell. A
// sidecar killed with `kill -9` leaves a lock naming a dead pid, which the next start takes over.
import { acquirePidLock, pidLockHolder } from "../fs/index.js";

/** The lock file of a journal. */
export function journalLockPath(journalPath: string): string {
  return `${journalPath}.lock`;
}

/** Takes the journal's lock for this process; throws PidLockedError (naming the holder's pid) when a live sidecar holds it. */
export function lockJournal(journalPath: string): { release(): void } {
  const release = acquirePidLock(journalLockPath(journalPath), {
    what: `journal.path ${journalPath}`,
    hint: "a sidecar is running on this journal: stop it, or give this one its own journal",
  });
  return { release };
}

/** The pid of the running sidecar holding the journal, or undefined (the look takes nothing). */
export function journalHolder(journalPath: string): number | undefined {
  return pidLockHolder(journalLockPath(journalPath));
}
