// The participant's account key: from a mnemonic file, a `pocval node init` key file, or an
// environment variable. The key never reaches a log line or an error message.
import { readFile } from "node:fs/promises";
import { Bip39, EnglishMnemonic, Slip10, Slip10Curve, stringToPath } from "@cosmjs/crypto";
import { DirectSecp256k1Wallet } from "@cosmjs/proto-signing";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { z } from "zod";
import { BECH32_PREFIX, HD_PATH } from "../client/index.js";
import { addressFromPubKey, toHex } from "../core/index.js";

/** The key could not be read or does not decode; never contains key material. */
export class ParticipantKeyError extends Error {
  override name = "ParticipantKeyError";
}

export interface ParticipantKey {
  address: string;
  /** 33-byte compressed secp256k1 public key. */
  publicKey: Uint8Array;
  /** Lower-case hex of publicKey: the default poc_public_key. */
  publicKeyHex: string;
  wallet: DirectSecp256k1Wallet;
}

/** Where the key comes from: exactly one of the three (the config schema checks it). */
export type KeySource = { mnemonicFile: string } | { keyFile: string } | { mnemonicEnv: string };

const keyFileSchema = z.object({
  name: z.string().optional(),
  address: z.string().min(1),
  mnemonic: z.string().min(1),
});

/** Derives the account key on the standard Cosmos HD path (m/44'/118'/0'/0/0). */
export async function participantKeyFromMnemonic(mnemonic: string): Promise<ParticipantKey> {
  let checked: EnglishMnemonic;
  try {
    checked = new EnglishMnemonic(mnemonic.trim().split(/\s+/).join(" "));
  } catch {
    throw new ParticipantKeyError("the mnemonic is not a valid BIP-39 English mnemonic");
  }
  const seed = await Bip39.mnemonicToSeed(checked);
  const { privkey } = Slip10.derivePath(Slip10Curve.Secp256k1, seed, stringToPath(HD_PATH));
  const publicKey = secp256k1.getPublicKey(privkey, true);
  return {
    address: addressFromPubKey(publicKey, BECH32_PREFIX),
    publicKey,
    publicKeyHex: toHex(publicKey),
    wallet: await DirectSecp256k1Wallet.fromKey(privkey, BECH32_PREFIX),
  };
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    throw new ParticipantKeyError(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
  }
}

/** Loads the key from its configured source. */
export async function loadParticipantKey(
  source: KeySource,
  env: Record<string, string | undefined> = process.env,
): Promise<ParticipantKey> {
  if ("mnemonicEnv" in source) {
    const mnemonic = env[source.mnemonicEnv];
    if (!mnemonic) throw new ParticipantKeyError(`environment variable ${source.mnemonicEnv} is not set`);
    return participantKeyFromMnemonic(mnemonic);
  }
  if ("mnemonicFile" in source) return participantKeyFromMnemonic(await readText(source.mnemonicFile, "mnemonic file"));
  const text = await readText(source.keyFile, "key file");
  let parsed: z.infer<typeof keyFileSchema>;
  try {
    parsed = keyFileSchema.parse(JSON.parse(text));
  } catch {
    throw new ParticipantKeyError(`key file ${source.keyFile} is not JSON {name, address, mnemonic}`);
  }
  const key = await participantKeyFromMnemonic(parsed.mnemonic);
  if (key.address !== parsed.address) {
    throw new ParticipantKeyError(
      `key file ${source.keyFile}: the mnemonic derives ${key.address}, not ${parsed.address}`,
    );
  }
  return key;
}
