// What the driving node hands the module per block, and what a message returns.
import type { AbciEvent } from "./events.js";

/** What the node tells the module about the block being executed (or, for queries, the last committed one). */
export interface BlockContext {
  /** The block being executed. */
  height: bigint;
  /** Lower-case hex hash of an already committed block, undefined if unknown (future). */
  blockHash(height: bigint): string | undefined;
}

/** A message's outcome: data is the encoded Msg*Response. */
export interface MsgResult {
  data: Uint8Array;
  events: AbciEvent[];
}
