// File-system plumbing: the atomic PID lock that keeps one process per data directory.
export { acquirePidLock, PidLockedError, type PidLockOptions, pidLockHolder } from "./pid-lock.js";
