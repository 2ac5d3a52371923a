// Validation slots (docs/protocol.md, Version 2): which validators check a participant, and how
// many times each one's vote counts. Public and re-derivable from chain data.
import { concatBytes, fromHex, u64le } from "./encoding.js";
import { PocvalError } from "./errors.js";
import { sha256 } from "./hash.js";
import { u64Stream, uniformFrom } from "./sampling.js";
import type { ValidatorStake } from "./tally.js";

const DOMAIN = new TextEncoder().encode("pocval/slots/v1");
const TWO_64 = 1n << 64n;

/** The public inputs that fix the slots of one participant in one stage. */
export interface SlotInput {
  stageHeight: bigint | number;
  /** Block hash of the sampling height, 64 hex characters. */
  samplingBlockHash: string;
  participantAddress: string;
  /** The stage's stake snapshot (any order; the participant itself is left out). */
  stakes: readonly ValidatorStake[];
  /** validation_slots, m >= 1. */
  slots: number;
}

/** One validator holding slots of a participant. */
export interface SlotHolder {
  validator: string;
  /** How many of the m slots it holds: its vote counts this many times. */
  slots: number;
}

/** Thrown when no slot can be drawn: no validator other than the participant has stake. */
export class NoSlotHoldersError extends PocvalError {
  constructor(readonly participant: string) {
    super(`no validator other than ${participant} has stake: validation slots cannot be assigned`);
    this.name = "NoSlotHoldersError";
  }
}

/** SHA-256("pocval/slots/v1" || u64_le(S) || sampling_block_hash || utf8(P)). */
export function slotSeed(
  input: Pick<SlotInput, "stageHeight" | "samplingBlockHash" | "participantAddress">,
): Uint8Array {
  return sha256(
    concatBytes(
      DOMAIN,
      u64le(input.stageHeight),
      fromHex(input.samplingBlockHash, "sampling_block_hash", 32),
      new TextEncoder().encode(input.participantAddress),
    ),
  );
}

/** Ascending bytes of the UTF-8 address (for bech32, plain ASCII order). */
function compareAddresses(a: string, b: string): number {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/**
 * The validator of each slot j = 0 .. m-1: u_j = uniform(T), slot j goes to the first validator (sorted by
 * address, the participant left out) whose cumulative stake exceeds u_j. Draws with replacement, by stake.
 * Validators with zero stake never get a slot.
 */
export function slotAssignment(input: SlotInput): string[] {
  if (!(Number.isSafeInteger(input.slots) && input.slots >= 1)) {
    throw new RangeError(`slots must be a positive integer, got ${input.slots}`);
  }
  const eligible = input.stakes
    .filter((s) => s.validator !== input.participantAddress)
    .sort((a, b) => compareAddresses(a.validator, b.validator));
  const cumulative: bigint[] = [];
  let total = 0n;
  for (const { validator, stake } of eligible) {
    if (stake < 0n) throw new RangeError(`negative stake for ${validator}`);
    total += stake;
    cumulative.push(total);
  }
  if (total === 0n) throw new NoSlotHoldersError(input.participantAddress);
  if (total >= TWO_64) throw new RangeError(`total stake ${total} must be below 2^64 for slot assignment`);
  const next = u64Stream(slotSeed(input));
  const out: string[] = [];
  for (let j = 0; j < input.slots; j++) {
    const u = uniformFrom(next, total);
    // First index with cumulative > u (binary search).
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    out.push(eligible[lo]!.validator);
  }
  return out;
}

/**
 * The holders of a participant's slots with their slot counts, sorted by address.
 * @example slotHolders({stageHeight: 10, samplingBlockHash: "00".repeat(32), participantAddress: "p",
 *   stakes: [{validator: "a", stake: 1n}], slots: 3}) // [{validator: "a", slots: 3}]
 */
export function slotHolders(input: SlotInput): SlotHolder[] {
  const counts = new Map<string, number>();
  for (const v of slotAssignment(input)) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()]
    .map(([validator, slots]) => ({ validator, slots }))
    .sort((a, b) => compareAddresses(a.validator, b.validator));
}
