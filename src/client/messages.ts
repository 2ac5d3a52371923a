// The pocval message types for a cosmjs Registry, and their EncodeObjects.
import type { EncodeObject, GeneratedType } from "@cosmjs/proto-signing";
import { typeUrls } from "../chain/index.js";
import { MsgCommitArtifacts, MsgRegisterParticipant, MsgSubmitVotes, MsgUpdateParams } from "../gen/pocval/v1/tx.js";

export { typeUrls };

/** The pocval message types, ready for `new Registry([...defaultRegistryTypes, ...pocvalTypes])`. */
export const pocvalTypes: ReadonlyArray<[string, GeneratedType]> = [
  [typeUrls.registerParticipant, MsgRegisterParticipant as GeneratedType],
  [typeUrls.commitArtifacts, MsgCommitArtifacts as GeneratedType],
  [typeUrls.submitVotes, MsgSubmitVotes as GeneratedType],
  [typeUrls.updateParams, MsgUpdateParams as GeneratedType],
];

export interface MsgRegisterParticipantEncodeObject extends EncodeObject {
  readonly typeUrl: typeof typeUrls.registerParticipant;
  readonly value: Partial<MsgRegisterParticipant>;
}
export interface MsgCommitArtifactsEncodeObject extends EncodeObject {
  readonly typeUrl: typeof typeUrls.commitArtifacts;
  readonly value: Partial<MsgCommitArtifacts>;
}
export interface MsgSubmitVotesEncodeObject extends EncodeObject {
  readonly typeUrl: typeof typeUrls.submitVotes;
  readonly value: Partial<MsgSubmitVotes>;
}
export interface MsgUpdateParamsEncodeObject extends EncodeObject {
  readonly typeUrl: typeof typeUrls.updateParams;
  readonly value: Partial<MsgUpdateParams>;
}
