// The app's genesis: the app_state schema both drivers read (the node's genesis.json, CometBFT's
// InitChain), and InitChain itself: the genesis accounts, balances and pocval module state, written
// once per database.

import type Database from "better-sqlite3";
import { z } from "zod";
import { ChainError, initGenesis } from "../chain/index.js";
import type { GenesisState } from "../gen/pocval/v1/genesis.js";
import { ensureAccount, mint } from "./accounts.js";
import type { BlockStore } from "./db.js";
import { AppError } from "./errors.js";
import { nextAppHash } from "./header.js";
import { pocvalStore } from "./messages.js";
import { bufferedStore, type KVStore } from "./store.js";

const digits = z.string().regex(/^\d+$/, "must be a non-negative integer in decimal");
const bech32 = z.string().regex(/^[a-z0-9]{1,83}1[02-9ac-hj-np-z]{6,}$/, "must be a bech32 address");
const coinSchema = z.object({
  denom: z.string().regex(/^[a-zA-Z][a-zA-Z0-9/:._-]{2,127}$/, "must be a Cosmos denom"),
  amount: digits,
});

/** The app's genesis state: auth accounts, bank balances and the pocval module's genesis (as JSON). */
export const appStateSchema = z.object({
  auth: z.object({ accounts: z.array(z.object({ address: bech32 })) }),
  bank: z.object({ balances: z.array(z.object({ address: bech32, coins: z.array(coinSchema) })) }),
  pocval: z.record(z.string(), z.unknown()),
});
export type AppState = z.infer<typeof appStateSchema>;

const ZERO_HASH = new Uint8Array(32);

export interface GenesisInput {
  chainId: string;
  appState: AppState;
  pocvalGenesis: GenesisState;
  /** Digest of the genesis, so a database is never reused with another genesis. */
  genesisDigest: string;
  /** Where the database lives, for error messages. */
  dbPath: string;
}

/**
 * Writes the genesis state on a fresh database (and the genesis app hash); on a used one checks that
 * it was started from the same genesis.
 */
export function initChainState(db: Database.Database, blocks: BlockStore, committed: KVStore, g: GenesisInput): void {
  const storedDigest = blocks.getMeta("genesis_digest");
  if (storedDigest !== undefined) {
    if (storedDigest !== g.genesisDigest) {
      throw new AppError(`${g.dbPath} holds a chain started from another genesis; use a fresh home`);
    }
    return;
  }
  const init = bufferedStore(committed);
  for (const a of g.appState.auth.accounts) ensureAccount(init, a.address);
  for (const b of g.appState.bank.balances) mint(init, b.address, b.coins);
  try {
    initGenesis(pocvalStore(init), g.pocvalGenesis);
  } catch (err) {
    if (err instanceof ChainError) throw new AppError(`genesis: app_state.pocval is rejected: ${err.log}`);
    throw err;
  }
  const appHash = nextAppHash(ZERO_HASH, 0n, init.writes());
  db.transaction(() => {
    init.flush();
    blocks.setMeta("genesis_digest", g.genesisDigest);
    blocks.setMeta("chain_id", g.chainId);
    blocks.setMeta("app_hash", Buffer.from(appHash).toString("hex"));
  })();
}
