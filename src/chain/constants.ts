// The chain's own names: the address prefix, the staking denomination and the module's message
// type URLs. They live here, below the client, so the module depends on nothing above it.

/** Bech32 prefix of pocval account addresses (`pocval1...`). */
export const BECH32_PREFIX = "pocval";
/** The localnet's staking and fee denomination. */
export const DENOM = "upoc";
/** Minimum fee per unit of gas the localnet node accepts, in DENOM. */
export const MIN_GAS_PRICE_AMOUNT = 0.01;

/** Type URLs of the pocval messages: `/pocval.v1.<Msg>`. */
export const typeUrls = {
  registerParticipant: "/pocval.v1.MsgRegisterParticipant",
  commitArtifacts: "/pocval.v1.MsgCommitArtifacts",
  submitVotes: "/pocval.v1.MsgSubmitVotes",
  updateParams: "/pocval.v1.MsgUpdateParams",
} as const;
