// The module's message handlers (register, commit, vote, params): validate, check state, write,
// emit events. Deterministic: no clock, network or randomness.
import type { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import {
  criticalCountFor,
  inCommitWindow,
  inValidationWindow,
  isStageStart,
  stageWindows,
  statTestContradiction,
} from "../core/index.js";
import {
  MsgCommitArtifacts,
  MsgCommitArtifactsResponse,
  MsgRegisterParticipant,
  MsgRegisterParticipantResponse,
  MsgSubmitVotes,
  MsgSubmitVotesResponse,
  MsgUpdateParams,
  MsgUpdateParamsResponse,
} from "../gen/pocval/v1/tx.js";
import { Reason } from "../gen/pocval/v1/types.js";
import { typeUrls } from "./constants.js";
import type { BlockContext, MsgResult } from "./context.js";
import { ChainError, ErrorCode } from "./errors.js";
import { type AbciEvent, commitEvent, paramsEvent, registerEvent, voteEvent } from "./events.js";
import {
  getAuthority,
  getCommitment,
  getKCrit,
  getParams,
  getParticipant,
  getSnapshot,
  getTiming,
  hasVote,
  recordVote,
  setCommitment,
  setParams,
  setParticipant,
} from "./keeper.js";
import { stageSlotHolders } from "./slots.js";
import type { KVStore } from "./store.js";
import { decideTallies, reopenDecisions } from "./tally.js";
import { validateCommit, validateRegister, validateSubmitVotes, validateUpdateParams } from "./validate.js";

/** The type URLs deliverMsg accepts. */
export const pocvalMsgTypeUrls: readonly string[] = Object.values(typeUrls);

interface Codec<T> {
  encode(message: T, writer?: BinaryWriter): BinaryWriter;
  decode(input: BinaryReader | Uint8Array, length?: number): T;
}

function decode<T>(codec: Codec<T>, bytes: Uint8Array, typeUrl: string): T {
  try {
    return codec.decode(bytes);
  } catch (e) {
    throw new ChainError(
      ErrorCode.Undecodable,
      `${typeUrl} does not decode: ${(e as Error).message}`,
      {},
      { cause: e },
    );
  }
}

function notAStage(stage: bigint, context: { participant?: string; validator?: string }): ChainError {
  return new ChainError(ErrorCode.NotAStage, `height ${stage} is not a stage start`, {
    ...context,
    stage,
    field: "stage_height",
  });
}

function registerParticipant(store: KVStore, ctx: BlockContext, msg: MsgRegisterParticipant): MsgResult {
  validateRegister(msg);
  const existing = getParticipant(store, msg.creator);
  setParticipant(store, {
    address: msg.creator,
    pocPublicKey: msg.pocPublicKey,
    proofApiUrl: msg.proofApiUrl,
    registeredHeight: existing?.registeredHeight ?? ctx.height,
  });
  return {
    data: MsgRegisterParticipantResponse.encode({}).finish(),
    events: [registerEvent(msg.creator, msg.pocPublicKey, msg.proofApiUrl, existing !== undefined)],
  };
}

function commitArtifacts(store: KVStore, ctx: BlockContext, msg: MsgCommitArtifacts): MsgResult {
  validateCommit(msg);
  const stage = msg.stageHeight;
  const participant = msg.creator;
  const context = { stage, participant };
  if (getParticipant(store, participant) === undefined) {
    throw new ChainError(
      ErrorCode.NotRegistered,
      "commit from an unregistered participant: send MsgRegisterParticipant first",
      {
        ...context,
        field: "creator",
      },
    );
  }
  const timing = getTiming(store);
  if (!isStageStart(timing, stage)) throw notAStage(stage, { participant });
  if (!inCommitWindow(timing, stage, ctx.height)) {
    const w = stageWindows(timing, stage);
    throw new ChainError(
      ErrorCode.OutsideWindow,
      `commit outside the commit window: heights ${w.commitStart}..${w.commitEnd} accept commits, this block is ${ctx.height}`,
      { ...context, field: "stage_height" },
    );
  }
  const previous = getCommitment(store, stage, participant);
  if (previous !== undefined && previous.height === ctx.height) {
    throw new ChainError(
      ErrorCode.OneCommitPerBlock,
      `a commit of this participant is already in block ${ctx.height}`,
      {
        ...context,
        field: "creator",
      },
    );
  }
  if (previous !== undefined && msg.count <= previous.count) {
    throw new ChainError(
      ErrorCode.CountNotIncreasing,
      `count ${msg.count} does not exceed the previous commit's count ${previous.count} in this stage`,
      { ...context, field: "count" },
    );
  }
  setCommitment(store, {
    participant,
    stageHeight: stage,
    count: msg.count,
    rootHash: msg.rootHash,
    height: ctx.height,
  });
  return {
    data: MsgCommitArtifactsResponse.encode({}).finish(),
    events: [commitEvent(participant, stage, msg.count, msg.rootHash)],
  };
}

function submitVotes(store: KVStore, ctx: BlockContext, msg: MsgSubmitVotes): MsgResult {
  validateSubmitVotes(msg);
  const stage = msg.stageHeight;
  const validator = msg.creator;
  const timing = getTiming(store);
  if (!isStageStart(timing, stage)) throw notAStage(stage, { validator });
  if (!inValidationWindow(timing, stage, ctx.height)) {
    const w = stageWindows(timing, stage);
    throw new ChainError(
      ErrorCode.OutsideWindow,
      `votes outside the validation window: heights ${w.validationStart}..${w.validationEnd} accept votes, this block is ${ctx.height}`,
      { stage, validator, field: "stage_height" },
    );
  }
  const snapshot = getSnapshot(store, stage);
  const index = snapshot?.validators.findIndex((v) => v.address === validator) ?? -1;
  if (snapshot === undefined || index < 0) {
    throw new ChainError(ErrorCode.NotBonded, "the sender is not a bonded validator in this stage's stake snapshot", {
      stage,
      validator,
      field: "creator",
    });
  }
  // Check every vote before writing any, so a rejected message leaves no trace even without the node's buffer.
  const params = getParams(store);
  const kCritN = getKCrit(store);
  const seen = new Set<string>();
  msg.votes.forEach((vote, i) => {
    const context = { stage, validator, participant: vote.participant, field: `votes[${i}].participant` };
    const commitment = getCommitment(store, stage, vote.participant);
    if (commitment === undefined) {
      throw new ChainError(ErrorCode.NoCommitment, "vote on a participant without a commitment in this stage", context);
    }
    if (hasVote(store, stage, vote.participant, validator) || seen.has(vote.participant)) {
      throw new ChainError(
        ErrorCode.DuplicateVote,
        "this validator already voted on this participant in this stage",
        context,
      );
    }
    seen.add(vote.participant);
    // The numbers of a STAT_TEST vote must agree with its verdict once the chain runs version 2
    // (validation_slots > 0) or version 3 (acceptance_rate set, with or without slots).
    const enforced = params.validationSlots > 0 || params.acceptanceRate !== "";
    if (enforced && vote.reason === Reason.REASON_STAT_TEST) {
      const n = commitment.count < BigInt(params.sampleSize) ? Number(commitment.count) : params.sampleSize;
      const k = n === params.sampleSize ? kCritN : criticalCountFor(n, params);
      const contradiction = statTestContradiction(vote, n, k, params.acceptanceRate);
      if (contradiction !== undefined) {
        throw new ChainError(ErrorCode.InconsistentVote, `STAT_TEST vote contradicts its verdict: ${contradiction}`, {
          ...context,
          field: `votes[${i}]`,
        });
      }
    }
    if (params.validationSlots > 0) {
      const held = stageSlotHolders(store, ctx, stage, vote.participant).some((h) => h.validator === validator);
      if (!held) {
        throw new ChainError(
          ErrorCode.NoSlot,
          `this validator holds none of the participant's ${params.validationSlots} validation slots in this stage`,
          context,
        );
      }
    }
  });
  const events: AbciEvent[] = [];
  for (const vote of msg.votes) {
    recordVote(store, { stageHeight: stage, validator, vote, height: ctx.height }, index, snapshot.validators.length);
    events.push(voteEvent(validator, stage, vote));
  }
  const voted = msg.votes.map((v) => ({
    participant: v.participant,
    count: getCommitment(store, stage, v.participant)!.count,
  }));
  events.push(...decideTallies(store, ctx, stage, voted));
  return { data: MsgSubmitVotesResponse.encode({ accepted: msg.votes.length }).finish(), events };
}

function updateParams(store: KVStore, ctx: BlockContext, msg: MsgUpdateParams): MsgResult {
  validateUpdateParams(msg);
  const authority = getAuthority(store);
  if (msg.authority !== authority) {
    throw new ChainError(ErrorCode.Unauthorized, `only the governance authority ${authority} may update params`, {
      field: "authority",
    });
  }
  const params = msg.params!;
  const before = getParams(store);
  setParams(store, params);
  const reopened = reopenDecisions(store, ctx, before, params);
  return {
    data: MsgUpdateParamsResponse.encode({}).finish(),
    events: [
      paramsEvent(authority, {
        model: params.model,
        seq_len: params.seqLen,
        k_dim: params.kDim,
        dist_threshold: params.distThreshold,
        fp_rate: params.fpRate,
        alpha: params.alpha,
        sample_size: params.sampleSize,
        quorum_num: params.quorumNum,
        quorum_den: params.quorumDen,
        validation_slots: params.validationSlots,
        acceptance_rate: params.acceptanceRate,
      }),
      ...reopened,
    ],
  };
}

function unknownType(typeUrl: string): ChainError {
  return new ChainError(
    ErrorCode.UnknownMessage,
    `unknown message type ${typeUrl}: the pocval module handles ${pocvalMsgTypeUrls.join(", ")}`,
  );
}

/**
 * Executes one pocval message in the block ctx.height: stateless checks, then state and window
 * checks, then writes. Throws ChainError (changing nothing) when the message is refused.
 * @example deliverMsg(store, ctx, "/pocval.v1.MsgCommitArtifacts", MsgCommitArtifacts.encode(msg).finish())
 */
export function deliverMsg(store: KVStore, ctx: BlockContext, typeUrl: string, value: Uint8Array): MsgResult {
  switch (typeUrl) {
    case typeUrls.registerParticipant:
      return registerParticipant(store, ctx, decode(MsgRegisterParticipant, value, typeUrl));
    case typeUrls.commitArtifacts:
      return commitArtifacts(store, ctx, decode(MsgCommitArtifacts, value, typeUrl));
    case typeUrls.submitVotes:
      return submitVotes(store, ctx, decode(MsgSubmitVotes, value, typeUrl));
    case typeUrls.updateParams:
      return updateParams(store, ctx, decode(MsgUpdateParams, value, typeUrl));
    default:
      throw unknownType(typeUrl);
  }
}

/** The account that must sign a pocval message: its creator, or the authority for MsgUpdateParams. */
export function signerOf(typeUrl: string, value: Uint8Array): string {
  switch (typeUrl) {
    case typeUrls.registerParticipant:
      return decode(MsgRegisterParticipant, value, typeUrl).creator;
    case typeUrls.commitArtifacts:
      return decode(MsgCommitArtifacts, value, typeUrl).creator;
    case typeUrls.submitVotes:
      return decode(MsgSubmitVotes, value, typeUrl).creator;
    case typeUrls.updateParams:
      return decode(MsgUpdateParams, value, typeUrl).authority;
    default:
      throw unknownType(typeUrl);
  }
}
