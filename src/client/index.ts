// What a cosmjs user needs to talk to a pocval chain: message types for a Registry and the
// query extension, the way @cosmjs/stargate offers bank.
export { BECH32_PREFIX, DEFAULT_GAS_PRICE, DENOM, EVM_HD_PATH, HD_PATH, MIN_GAS_PRICE_AMOUNT } from "./constants.js";
export {
  type AccountKey,
  accountKeyFromMnemonic,
  type DerivedKey,
  deriveKey,
  KeyError,
  type KeyFile,
  type KeyScheme,
  type KeySource,
  keyFileSchema,
  loadAccountKey,
} from "./keys.js";
export {
  type MsgCommitArtifactsEncodeObject,
  type MsgRegisterParticipantEncodeObject,
  type MsgSubmitVotesEncodeObject,
  type MsgUpdateParamsEncodeObject,
  pocvalTypes,
  typeUrls,
} from "./messages.js";
export { type PocvalExtension, setupPocvalExtension } from "./queries.js";
export { describeParseError, redactInput } from "./redact.js";
export { createPocvalRegistry } from "./registry.js";
export { tallyToJson } from "./tally-json.js";
