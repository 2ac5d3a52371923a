// The validator's timing rules of docs/protocol.md "Availability": how long it waits between
// failed proof requests, so that its whole request budget fits before its check's deadline, and
// that deadline in wall-clock time from the validation window and the measured block rate. Pure.

/**
 * The wait before the next try: what was asked (Retry-After of a 429, or the validator's backoff),
 * never more than proof_response_ms, and, with the check's deadline known, never more than
 * (deadline - now) / (tries left + 1), so that the tries left still go out before the deadline
 * with a share of the time left over for the last answer's recompute. 0 once the deadline is past.
 * @example retryWaitMs({ askedMs: 60_000, responseMs: 30_000, triesLeft: 1, nowMs: 0, deadlineMs: 10_000 }) // 5000
 */
export function retryWaitMs(o: {
  askedMs: number;
  responseMs: number;
  /** Requests of the budget not yet sent (>= 1: with none left there is no next try). */
  triesLeft: number;
  nowMs: number;
  /** Wall-clock ms by which the budget should be spent; undefined: unknown, the window does not cap. */
  deadlineMs?: number;
}): number {
  const capped = Math.max(0, Math.min(o.askedMs, o.responseMs));
  if (o.deadlineMs === undefined) return capped;
  const share = (o.deadlineMs - o.nowMs) / (Math.max(1, o.triesLeft) + 1);
  return Math.max(0, Math.min(capped, Math.floor(share)));
}

/**
 * When a validator's proof requests should be done, in wall-clock ms: the time the chain reaches
 * `validationEndHeight - marginBlocks - reserveBlocks` at `blockMs` a block from `height` (seen
 * at `nowMs`). The margin keeps the blocks the vote needs to land; the reserve, the time to
 * recompute the sample once it arrives. Undefined when the block rate is not known yet.
 * @example checkDeadlineMs({ nowMs: 0, height: 100n, validationEndHeight: 120n, marginBlocks: 2, reserveBlocks: 2, blockMs: 500 }) // 8000
 */
export function checkDeadlineMs(o: {
  nowMs: number;
  height: bigint;
  validationEndHeight: bigint;
  marginBlocks: number;
  reserveBlocks: number;
  blockMs: number | undefined;
}): number | undefined {
  if (o.blockMs === undefined || !(o.blockMs > 0) || !Number.isFinite(o.blockMs)) return undefined;
  const blocks = Number(o.validationEndHeight - o.height) - o.marginBlocks - o.reserveBlocks;
  return o.nowMs + Math.max(0, blocks) * o.blockMs;
}
