// InitChain: the genesis accounts, balances and pocval module state, written once per database.

import type Database from "better-sqlite3";
import { ChainError, initGenesis } from "../chain/index.js";
import type { GenesisState } from "../gen/pocval/v1/genesis.js";
import { ensureAccount, mint } from "./accounts.js";
import type { BlockStore } from "./db.js";
import { NodeError } from "./errors.js";
import type { NodeGenesis } from "./genesis.js";
import { nextAppHash } from "./header.js";
import { pocvalStore } from "./messages.js";
import { bufferedStore, type KVStore } from "./store.js";

const ZERO_HASH = new Uint8Array(32);

export interface GenesisInput {
  chainId: string;
  appState: NodeGenesis["app_state"];
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
      throw new NodeError(`${g.dbPath} holds a chain started from another genesis; use a fresh home`);
    }
    return;
  }
  const init = bufferedStore(committed);
  for (const a of g.appState.auth.accounts) ensureAccount(init, a.address);
  for (const b of g.appState.bank.balances) mint(init, b.address, b.coins);
  try {
    initGenesis(pocvalStore(init), g.pocvalGenesis);
  } catch (err) {
    if (err instanceof ChainError) throw new NodeError(`genesis: app_state.pocval is rejected: ${err.log}`);
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
