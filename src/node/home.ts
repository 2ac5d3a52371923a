// `pocval node init`: a node home with genesis, validator and participant keys.
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Bip39, Random } from "@cosmjs/crypto";
import { fromBech32, toBase64, toHex } from "@cosmjs/encoding";
import { DirectSecp256k1Wallet } from "@cosmjs/proto-signing";
import { z } from "zod";
import { BECH32_PREFIX, ChainError, DENOM, defaultParams, defaultTiming, validateGenesis } from "../chain/index.js";
import { deriveKey, describeParseError, redactInput } from "../client/index.js";
import { zodFieldLines } from "../core/index.js";
import { GenesisState } from "../gen/pocval/v1/genesis.js";
import type { Params, StageTiming } from "../gen/pocval/v1/params.js";
import { HomeError } from "./errors.js";
import { CHAIN_ID_PATTERN, type NodeGenesis } from "./genesis.js";

/** A key as `node init` writes it to `HOME/keys/<name>.json`. */
export interface KeyFile {
  name: string;
  address: string;
  mnemonic: string;
}

export const keyFileSchema = z.object({
  name: z.string().min(1),
  address: z.string().startsWith(`${BECH32_PREFIX}1`, `must be a ${BECH32_PREFIX}1... address`),
  mnemonic: z
    .string()
    .refine((m) => [12, 15, 18, 21, 24].includes(m.trim().split(/\s+/).length), "must have 12 to 24 words"),
});

export interface InitHomeOptions {
  home: string;
  chainId?: string;
  validators?: number;
  stakes?: bigint[];
  participants?: number;
  timing?: Partial<StageTiming>;
  params?: Partial<Params>;
}

export const DEFAULT_CHAIN_ID = "pocval-localnet";
export const DEFAULT_VALIDATORS = 3;
export const DEFAULT_PARTICIPANTS = 2;
export const DEFAULT_STAKE = 1_000_000n;
/** Every genesis account starts with this many upoc (a million POC). */
export const GENESIS_BALANCE = 1_000_000_000_000n;
export const GENESIS_FILE = "genesis.json";

/** Rejects option values a genesis cannot hold; the message names the option. */
function checkOptions(opts: InitHomeOptions): {
  chainId: string;
  validators: number;
  stakes: bigint[];
  participants: number;
} {
  const chainId = opts.chainId ?? DEFAULT_CHAIN_ID;
  if (!CHAIN_ID_PATTERN.test(chainId)) {
    throw new HomeError(opts.home, `chainId "${chainId}" must be 1-49 letters, digits, '.', '_' or '-'`);
  }
  const validators = opts.validators ?? opts.stakes?.length ?? DEFAULT_VALIDATORS;
  if (!Number.isInteger(validators) || validators < 1 || validators > 200) {
    throw new HomeError(opts.home, `validators must be an integer in 1..200, got ${validators}`);
  }
  const stakes = opts.stakes ?? Array.from({ length: validators }, () => DEFAULT_STAKE);
  if (stakes.length !== validators) {
    throw new HomeError(opts.home, `stakes has ${stakes.length} entries but there are ${validators} validators`);
  }
  stakes.forEach((s, i) => {
    if (s <= 0n || s >= 1n << 62n) throw new HomeError(opts.home, `stakes[${i}] must be in 1..2^62-1, got ${s}`);
  });
  const participants = opts.participants ?? DEFAULT_PARTICIPANTS;
  if (!Number.isInteger(participants) || participants < 0 || participants > 1000) {
    throw new HomeError(opts.home, `participants must be an integer in 0..1000, got ${participants}`);
  }
  return { chainId, validators, stakes, participants };
}

/** The secp256k1 key of a BIP-39 mnemonic on the standard Cosmos HD path (src/client/keys.ts). */
export function keyFromMnemonic(mnemonic: string): { privKey: Uint8Array; pubKey: Uint8Array; address: string } {
  const key = deriveKey(mnemonic);
  return { privKey: key.privateKey, pubKey: key.publicKey, address: key.address };
}

/** A cosmjs signer for a key file (a DirectSecp256k1Wallet of its derived key). */
export async function walletFromKeyFile(key: KeyFile): Promise<DirectSecp256k1Wallet> {
  const derived = keyFromMnemonic(key.mnemonic);
  if (derived.address !== key.address) {
    throw new HomeError(key.name, `the mnemonic derives ${derived.address}, not the file's address ${key.address}`);
  }
  return DirectSecp256k1Wallet.fromKey(derived.privKey, BECH32_PREFIX);
}

function newKey(name: string): KeyFile & { pubKey: Uint8Array } {
  const mnemonic = Bip39.encode(Random.getBytes(32)).toString();
  const { address, pubKey } = keyFromMnemonic(mnemonic);
  return { name, address, mnemonic, pubKey };
}

async function assertFreshHome(home: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(home);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw new HomeError(home, `cannot read the directory: ${(err as Error).message}`);
  }
  if (entries.length > 0) throw new HomeError(home, "already exists and is not empty; refusing to overwrite a home");
}

/**
 * Writes a localnet home: `genesis.json` (accounts funded in upoc, validators with stake, the pocval
 * module genesis) and `keys/<name>.json` for validator-i, participant-i and the params authority.
 *
 * @example const { keys } = await initHome({ home: "/tmp/pocval", validators: 3, participants: 2 });
 */
export async function initHome(opts: InitHomeOptions): Promise<{ genesisPath: string; keys: KeyFile[] }> {
  const { chainId, validators, stakes, participants } = checkOptions(opts);
  await assertFreshHome(opts.home);

  const validatorKeys = [];
  for (let i = 0; i < validators; i++) validatorKeys.push(newKey(`validator-${i}`));
  const participantKeys = [];
  for (let i = 0; i < participants; i++) participantKeys.push(newKey(`participant-${i}`));
  const authority = newKey("authority");
  const allKeys = [...validatorKeys, ...participantKeys, authority];

  const pocval: GenesisState = GenesisState.fromPartial({
    params: { ...defaultParams(), ...opts.params },
    timing: { ...defaultTiming(), ...opts.timing },
    authority: authority.address,
    validators: validatorKeys.map((k, i) => ({ address: k.address, stake: stakes[i]!.toString() })),
  });
  try {
    validateGenesis(pocval);
  } catch (err) {
    if (err instanceof ChainError) throw new HomeError(opts.home, `the module genesis is invalid: ${err.log}`);
    throw err;
  }

  const genesis: NodeGenesis = {
    genesis_time: new Date().toISOString(),
    chain_id: chainId,
    initial_height: "1",
    consensus_params: {
      block: { max_bytes: String(4 << 20), max_gas: "-1" },
      evidence: { max_age_num_blocks: "100000", max_age_duration: "172800000000000", max_bytes: "1048576" },
      validator: { pub_key_types: ["secp256k1"] },
      version: { app: "0" },
    },
    validators: validatorKeys.map((k, i) => ({
      address: toHex(fromBech32(k.address, 90).data).toUpperCase(),
      pub_key: { type: "tendermint/PubKeySecp256k1", value: toBase64(k.pubKey) },
      power: stakes[i]!.toString(),
      name: k.name,
    })),
    app_hash: "",
    app_state: {
      auth: { accounts: allKeys.map((k) => ({ address: k.address })) },
      bank: {
        balances: allKeys.map((k) => ({
          address: k.address,
          coins: [{ denom: DENOM, amount: GENESIS_BALANCE.toString() }],
        })),
      },
      pocval: GenesisState.toJSON(pocval) as Record<string, unknown>,
    },
  };

  await mkdir(join(opts.home, "keys"), { recursive: true });
  await mkdir(join(opts.home, "data"), { recursive: true });
  const genesisPath = join(opts.home, GENESIS_FILE);
  await writeFile(genesisPath, `${JSON.stringify(genesis, null, 2)}\n`, { flag: "wx" });
  const keys = allKeys.map(({ name, address, mnemonic }): KeyFile => ({ name, address, mnemonic }));
  for (const key of keys) {
    await writeFile(join(opts.home, "keys", `${key.name}.json`), `${JSON.stringify(key, null, 2)}\n`, {
      flag: "wx",
      mode: 0o600,
    });
  }
  return { genesisPath, keys };
}

/** Reads and validates a key file as `node init` writes it; errors name the file and field. */
export async function readKeyFile(path: string): Promise<KeyFile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new HomeError(path, `cannot read the key file: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new HomeError(path, describeParseError(err, text, "JSON"));
  }
  const parsed = keyFileSchema.safeParse(json);
  if (!parsed.success) throw new HomeError(path, redactInput(zodFieldLines(parsed.error).join("; "), json));
  try {
    deriveKey(parsed.data.mnemonic);
  } catch {
    throw new HomeError(path, "mnemonic: not a valid BIP-39 English mnemonic (unknown word or bad checksum)");
  }
  return parsed.data;
}
