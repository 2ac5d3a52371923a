/** True when dist/ was built after the last change to any input. */
export function isFresh(): boolean;
/** Builds dist/ when stale (or always, with force); the milliseconds spent, 0 when it was fresh. */
export function ensureBuilt(options?: { check?: boolean; force?: boolean }): number;
