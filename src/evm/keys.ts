// The EVM account of a pocval key (the Ethereum HD path); reads the mnemonic from a file or env.
import { readFile } from "node:fs/promises";
import { HDNodeWallet, Mnemonic, type Provider } from "ethers";
import { PocvalError } from "../core/index.js";

/** The Ethereum HD path of account index i (BIP-44 coin type 60). */
export const evmHdPath = (index = 0) => `m/44'/60'/0'/0/${index}`;

export class EvmKeyError extends PocvalError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "EvmKeyError";
  }
}

export type EvmKeySource = { mnemonic: string } | { mnemonicFile: string } | { mnemonicEnv: string };

/**
 * The EVM account of a pocval mnemonic: the same secp256k1 curve as the Cosmos key, on the Ethereum
 * HD path m/44'/60'/0'/0/0 (so one mnemonic holds both accounts). Errors never repeat the words.
 * @example (await loadEvmWallet({mnemonicEnv: "POCVAL_MNEMONIC"}, provider)).address
 */
export async function loadEvmWallet(
  source: EvmKeySource,
  provider?: Provider,
  env: Record<string, string | undefined> = process.env,
): Promise<HDNodeWallet> {
  let phrase: string;
  let where: string;
  if ("mnemonic" in source) {
    phrase = source.mnemonic;
    where = "the mnemonic";
  } else if ("mnemonicEnv" in source) {
    const value = env[source.mnemonicEnv];
    if (!value) throw new EvmKeyError(`environment variable ${source.mnemonicEnv} is not set`);
    phrase = value;
    where = `environment variable ${source.mnemonicEnv}`;
  } else {
    try {
      phrase = await readFile(source.mnemonicFile, "utf8");
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? "error";
      throw new EvmKeyError(`cannot read mnemonic file ${source.mnemonicFile}: ${code}`, { cause: err });
    }
    where = `mnemonic file ${source.mnemonicFile}`;
  }
  let mnemonic: Mnemonic;
  try {
    mnemonic = Mnemonic.fromPhrase(phrase.trim().split(/\s+/).join(" "));
  } catch {
    throw new EvmKeyError(`${where}: not a valid BIP-39 English mnemonic (unknown word, word count or checksum)`);
  }
  const wallet = HDNodeWallet.fromMnemonic(mnemonic, evmHdPath(0));
  return provider ? wallet.connect(provider) : wallet;
}
