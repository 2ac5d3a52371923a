// The chain's view of validation slots: a stage's slot holders from its snapshot and sampling hash.
import { NoSlotHoldersError, type SlotHolder, slotHolders, stageWindows } from "../core/index.js";
import type { BlockContext } from "./context.js";
import { ChainError, ErrorCode } from "./errors.js";
import { getParams, getSnapshot, getTiming } from "./keeper.js";
import type { KVStore } from "./store.js";

/**
 * The validation slot holders of a participant in a stage (docs/protocol.md, Version 2), from the
 * stage's stake snapshot and its sampling block hash; [] when validation_slots is 0, when the stage
 * has no snapshot, or when nobody but the participant has stake. Throws NotFound before the sampling
 * block exists.
 */
export function stageSlotHolders(store: KVStore, ctx: BlockContext, stage: bigint, participant: string): SlotHolder[] {
  const slots = getParams(store).validationSlots;
  if (slots === 0) return [];
  const snapshot = getSnapshot(store, stage);
  if (snapshot === undefined) return [];
  const { samplingHeight } = stageWindows(getTiming(store), stage);
  const samplingBlockHash = ctx.blockHash(samplingHeight);
  if (samplingBlockHash === undefined) {
    throw new ChainError(
      ErrorCode.NotFound,
      `no slots yet: they are drawn from the hash of the sampling block ${samplingHeight}`,
      { stage, participant },
    );
  }
  try {
    return slotHolders({
      stageHeight: stage,
      samplingBlockHash,
      participantAddress: participant,
      stakes: snapshot.validators.map((v) => ({ validator: v.address, stake: BigInt(v.stake) })),
      slots,
    });
  } catch (e) {
    if (e instanceof NoSlotHoldersError) return [];
    throw e;
  }
}
