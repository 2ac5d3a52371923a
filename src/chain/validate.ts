// Stateless checks (the Cosmos SDK's ValidateBasic): everything that can be judged from the
// message alone, before any state is read.

import { fromBech32 } from "@cosmjs/encoding";
import { ParamError, parseParams, timingViolations } from "../core/index.js";
import type { Params, StageTiming } from "../gen/pocval/v1/params.js";
import type {
  MsgCommitArtifacts,
  MsgRegisterParticipant,
  MsgSubmitVotes,
  MsgUpdateParams,
} from "../gen/pocval/v1/tx.js";
import { Reason, Verdict, type Vote } from "../gen/pocval/v1/types.js";
import { BECH32_PREFIX } from "./constants.js";
import { ChainError, ErrorCode, type ErrorContext } from "./errors.js";

// p-values may be tiny, so exponent notation (as JavaScript prints 1e-30) is accepted too.
const P_VALUE = /^[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/;
const INTEGER = /^(0|[1-9][0-9]*)$/;
const MAX_TEXT = 512;
const BECH32_LIMIT = 90;
const U32_MAX = 0xffff_ffff;

const invalid = (what: string, context: ErrorContext, cause?: unknown) =>
  new ChainError(ErrorCode.InvalidField, context.field ? `invalid ${context.field}: ${what}` : what, context, {
    cause,
  });

/** Throws unless address is a canonical (lower-case) bech32 `pocval1...` address of 20 or 32 bytes. */
export function checkAddress(address: string, context: ErrorContext & { field: string }): void {
  let data: Uint8Array;
  try {
    // cosmjs 0.39's default limit (Infinity) makes @scure/base throw; 90 is BIP-173's limit.
    const decoded = fromBech32(address, BECH32_LIMIT);
    if (decoded.prefix !== BECH32_PREFIX) {
      throw new ChainError(
        ErrorCode.InvalidAddress,
        `address "${address}" has prefix "${decoded.prefix}", expected "${BECH32_PREFIX}"`,
        context,
      );
    }
    data = decoded.data;
  } catch (e) {
    if (e instanceof ChainError) throw e;
    throw new ChainError(
      ErrorCode.InvalidAddress,
      `"${address}" is not a bech32 address: ${(e as Error).message}`,
      context,
      { cause: e },
    );
  }
  if (data.length !== 20 && data.length !== 32) {
    throw new ChainError(
      ErrorCode.InvalidAddress,
      `address "${address}" holds ${data.length} bytes, expected 20 or 32`,
      context,
    );
  }
  // bech32 decoding refuses mixed case, so a lower-case string that decoded is the canonical form.
  if (address !== address.toLowerCase()) {
    throw new ChainError(ErrorCode.InvalidAddress, `address "${address}" is not in canonical lower case`, context);
  }
}

/** Parses a non-negative integer decimal string without leading zeros (stakes), or throws naming the field. */
export function integerString(value: string, context: ErrorContext): bigint {
  if (!INTEGER.test(value))
    throw invalid(`"${value}" is not a non-negative integer in canonical decimal form`, context);
  return BigInt(value);
}

function text(value: string, context: ErrorContext & { field: string }): void {
  if (value.length === 0) throw invalid("must not be empty", context);
  if (value.length > MAX_TEXT)
    throw invalid(`is ${value.length} characters long, at most ${MAX_TEXT} allowed`, context);
}

/** Throws unless the params obey docs/protocol.md's rules (core/params.ts) and the model name fits a message. */
export function validateParams(params: Params | undefined, field = "params"): Params {
  if (params === undefined) throw invalid("params are missing", { field });
  text(params.model, { field: `${field}.model` });
  try {
    parseParams(params);
  } catch (e) {
    if (e instanceof ParamError) throw invalid(e.reason, { field: `${field}.${e.field}` }, e);
    throw e;
  }
  return params;
}

/** Throws unless the stage timing obeys the timing rule (core/stage.ts): stages never overlap. */
export function validateTiming(timing: StageTiming | undefined, field = "timing"): StageTiming {
  if (timing === undefined) throw invalid("stage timing is missing", { field });
  const [first] = timingViolations(timing);
  if (first) throw invalid(first.message, { field: `${field}.${first.field}` });
  return timing;
}

export function validateRegister(msg: MsgRegisterParticipant): void {
  checkAddress(msg.creator, { field: "creator" });
  const context = { participant: msg.creator };
  text(msg.pocPublicKey, { ...context, field: "poc_public_key" });
  text(msg.proofApiUrl, { ...context, field: "proof_api_url" });
  let url: URL;
  try {
    url = new URL(msg.proofApiUrl);
  } catch {
    throw invalid(`"${msg.proofApiUrl}" is not a URL`, { ...context, field: "proof_api_url" });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw invalid(`"${msg.proofApiUrl}" is not an http(s) URL`, { ...context, field: "proof_api_url" });
  }
}

export function validateCommit(msg: MsgCommitArtifacts): void {
  checkAddress(msg.creator, { field: "creator" });
  const context = { stage: msg.stageHeight, participant: msg.creator };
  if (msg.stageHeight < 1n) throw invalid("must be a stage start height >= 1", { ...context, field: "stage_height" });
  if (msg.count < 1n)
    throw invalid("the empty tree is not committable: count must be >= 1", { ...context, field: "count" });
  if (msg.rootHash.length !== 32) {
    throw invalid(`root_hash is ${msg.rootHash.length} bytes, expected 32`, { ...context, field: "root_hash" });
  }
}

function validateVote(vote: Vote, index: number, context: ErrorContext): void {
  const at = (name: string) => ({ ...context, participant: vote.participant, field: `votes[${index}].${name}` });
  checkAddress(vote.participant, at("participant"));
  if (vote.verdict !== Verdict.VERDICT_HONEST && vote.verdict !== Verdict.VERDICT_CHEATER) {
    throw invalid(`verdict ${vote.verdict} is not VERDICT_HONEST (1) or VERDICT_CHEATER (2)`, at("verdict"));
  }
  if (
    !Number.isInteger(vote.reason) ||
    vote.reason < Reason.REASON_UNSPECIFIED ||
    vote.reason > Reason.REASON_UNAVAILABLE
  ) {
    throw invalid(`reason ${vote.reason} is not a known Reason`, at("reason"));
  }
  if (vote.mismatches > vote.checked) {
    throw invalid(`mismatches ${vote.mismatches} exceed checked ${vote.checked}`, at("mismatches"));
  }
  if (!P_VALUE.test(vote.pValue)) throw invalid(`"${vote.pValue}" is not a decimal number`, at("p_value"));
  const p = Number(vote.pValue);
  if (!(p >= 0 && p <= 1)) throw invalid(`${vote.pValue} is outside [0, 1]`, at("p_value"));
  if (vote.evidenceHash.length !== 32) {
    throw invalid(`evidence_hash is ${vote.evidenceHash.length} bytes, expected 32`, at("evidence_hash"));
  }
}

export function validateSubmitVotes(msg: MsgSubmitVotes): void {
  checkAddress(msg.creator, { field: "creator" });
  const context = { stage: msg.stageHeight, validator: msg.creator };
  if (msg.stageHeight < 1n) throw invalid("must be a stage start height >= 1", { ...context, field: "stage_height" });
  if (msg.votes.length === 0) throw invalid("a vote message needs at least one vote", { ...context, field: "votes" });
  if (msg.votes.length > U32_MAX) throw invalid("too many votes", { ...context, field: "votes" });
  const seen = new Set<string>();
  msg.votes.forEach((vote, i) => {
    validateVote(vote, i, context);
    if (seen.has(vote.participant)) {
      throw invalid("the participant appears twice in one message", {
        ...context,
        participant: vote.participant,
        field: `votes[${i}].participant`,
      });
    }
    seen.add(vote.participant);
  });
}

export function validateUpdateParams(msg: MsgUpdateParams): void {
  checkAddress(msg.authority, { field: "authority" });
  validateParams(msg.params);
}
