// The participant's account key: from a mnemonic file, a `pocval node init` key file, or an
// environment variable (src/client/keys.ts does the work for every part of pocval).
export {
  type AccountKey as ParticipantKey,
  KeyError as ParticipantKeyError,
  loadAccountKey as loadParticipantKey,
} from "../client/index.js";

/** Where the participant's key comes from: exactly one of the three (the config schema checks it). */
export type KeySource = { mnemonicFile: string } | { keyFile: string } | { mnemonicEnv: string };
