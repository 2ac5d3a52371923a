// The validator's signing key: from a mnemonic file, a `pocval node init` key file or a mnemonic
// string (src/client/keys.ts does the work for every part of pocval). Never logged.
import { type AccountKey, type KeyScheme, loadAccountKey } from "../client/index.js";
import type { SidecarConfig } from "./config.js";

export {
  type AccountKey as ValidatorKey,
  accountKeyFromMnemonic as keyFromMnemonic,
  KeyError as SidecarKeyError,
} from "../client/index.js";

/**
 * Loads the key the config names (exactly one source is set; the schema checks it): on an EVM chain
 * the same mnemonic's account on the Ethereum HD path.
 */
export function loadValidatorKey(key: SidecarConfig["key"], scheme: KeyScheme = "cosmos"): Promise<AccountKey> {
  const env = process.env;
  if (key.mnemonic !== undefined) return loadAccountKey({ mnemonic: key.mnemonic }, env, scheme);
  if (key.mnemonicFile !== undefined) return loadAccountKey({ mnemonicFile: key.mnemonicFile }, env, scheme);
  if (key.keyFile !== undefined) return loadAccountKey({ keyFile: key.keyFile }, env, scheme);
  return Promise.reject(new Error("no key source configured (key.mnemonicFile, key.keyFile, key.mnemonic)"));
}
