// The validator's signing key: from a mnemonic file, a `pocval node init` key file or a mnemonic
// string. The key material stays in memory and never reaches a log line.
import { readFile } from "node:fs/promises";
import { Bip39, EnglishMnemonic, Slip10, Slip10Curve, stringToPath } from "@cosmjs/crypto";
import { DirectSecp256k1Wallet } from "@cosmjs/proto-signing";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { z } from "zod";
import { BECH32_PREFIX, HD_PATH } from "../client/index.js";
import { addressFromPubKey } from "../core/index.js";
import type { SidecarConfig } from "./config.js";

/** The key could not be read or does not decode; the message never contains the key itself. */
export class SidecarKeyError extends Error {
  override name = "SidecarKeyError";
}

/** The validator's key: its address, raw private key (for proof requests) and a tx signer. */
export interface ValidatorKey {
  address: string;
  privateKey: Uint8Array;
  wallet: DirectSecp256k1Wallet;
}

const keyFileSchema = z.object({
  name: z.string().optional(),
  address: z.string().min(1),
  mnemonic: z.string().min(1),
});

/** Derives the key on the standard Cosmos HD path. */
export async function keyFromMnemonic(mnemonic: string): Promise<ValidatorKey> {
  let checked: EnglishMnemonic;
  try {
    checked = new EnglishMnemonic(mnemonic.trim().split(/\s+/).join(" "));
  } catch {
    throw new SidecarKeyError("the mnemonic is not a valid BIP-39 English mnemonic");
  }
  const seed = await Bip39.mnemonicToSeed(checked);
  const { privkey } = Slip10.derivePath(Slip10Curve.Secp256k1, seed, stringToPath(HD_PATH));
  const address = addressFromPubKey(secp256k1.getPublicKey(privkey, true), BECH32_PREFIX);
  return { address, privateKey: privkey, wallet: await DirectSecp256k1Wallet.fromKey(privkey, BECH32_PREFIX) };
}

/** Loads the key the config names (exactly one source is set; the schema checks it). */
export async function loadValidatorKey(key: SidecarConfig["key"]): Promise<ValidatorKey> {
  if (key.mnemonic !== undefined) return keyFromMnemonic(key.mnemonic);
  const file = key.mnemonicFile ?? key.keyFile;
  if (file === undefined) throw new SidecarKeyError("no key source configured (key.mnemonicFile, key.keyFile)");
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new SidecarKeyError(`cannot read key file ${file}: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
  }
  if (key.mnemonicFile !== undefined) return keyFromMnemonic(text);
  let parsed: z.infer<typeof keyFileSchema>;
  try {
    parsed = keyFileSchema.parse(JSON.parse(text));
  } catch {
    throw new SidecarKeyError(`key file ${file} is not JSON {name, address, mnemonic}`);
  }
  const derived = await keyFromMnemonic(parsed.mnemonic);
  if (derived.address !== parsed.address) {
    throw new SidecarKeyError(`key file ${file}: the mnemonic derives ${derived.address}, not ${parsed.address}`);
  }
  return derived;
}
