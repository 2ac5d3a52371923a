// The app's genesis under CometBFT: CometBFT's genesis.json carries `app_state` (the app's own
// schema, as in the embedded node's genesis) and InitChain hands it over as bytes.
// `app_state.consensus` ties each CometBFT consensus key to the pocval validator whose stake is its
// voting power.

import { createHash } from "node:crypto";
import { z } from "zod";
import { appStateSchema } from "../app/index.js";
import { ChainError, validateGenesis } from "../chain/index.js";
import { PocvalError, zodFieldLines } from "../core/index.js";
import { GenesisState } from "../gen/pocval/v1/genesis.js";

export class AbciGenesisError extends PocvalError {
  override name = "AbciGenesisError";
}

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, "must be base64");

export const consensusKeySchema = z.object({
  /** The pocval validator (bech32 account address) whose stake is this key's voting power. */
  validator: z.string(),
  pub_key: z.object({ type: z.literal("tendermint/PubKeyEd25519"), value: base64 }),
});
export type ConsensusKey = z.infer<typeof consensusKeySchema>;

export const abciAppStateSchema = appStateSchema.extend({
  consensus: z.object({ validators: z.array(consensusKeySchema) }).optional(),
});
export type AbciAppState = z.infer<typeof abciAppStateSchema>;

/** What the app keeps of InitChain (in HOME/app-genesis.json) so that it can reopen after a restart. */
export const appGenesisSchema = z.object({ chain_id: z.string().min(1), app_state: abciAppStateSchema });
export type AppGenesis = z.infer<typeof appGenesisSchema>;

export interface ParsedAppGenesis {
  genesis: AppGenesis;
  pocval: GenesisState;
  /** SHA-256 (hex) of the chain id and the app state JSON, which pins the database to this genesis. */
  digest: string;
}

/** Validates the app genesis (zod, then the pocval module's own checks); errors name the field. */
export function parseAppGenesis(json: unknown, where: string): ParsedAppGenesis {
  const parsed = appGenesisSchema.safeParse(json);
  if (!parsed.success) throw new AbciGenesisError(`${where}: ${zodFieldLines(parsed.error).join("; ")}`);
  let pocval: GenesisState;
  try {
    pocval = GenesisState.fromJSON(parsed.data.app_state.pocval);
    validateGenesis(pocval);
  } catch (err) {
    const detail = err instanceof ChainError ? err.log : (err as Error).message;
    throw new AbciGenesisError(`${where}: app_state.pocval: ${detail}`, { cause: err });
  }
  const stakes = new Map(pocval.validators.map((v) => [v.address, v.stake]));
  parsed.data.app_state.consensus?.validators.forEach((k, i) => {
    if (!stakes.has(k.validator)) {
      throw new AbciGenesisError(
        `${where}: app_state.consensus.validators[${i}].validator ${k.validator} is not a pocval validator`,
      );
    }
  });
  const digest = createHash("sha256")
    .update(parsed.data.chain_id)
    .update("\n")
    .update(JSON.stringify(parsed.data.app_state))
    .digest("hex");
  return { genesis: parsed.data, pocval, digest };
}

/** The consensus validator set: each mapped key with its pocval validator's stake as voting power. */
export function consensusValidators(g: ParsedAppGenesis): { pubKeyEd25519: Uint8Array; power: bigint }[] {
  const stakes = new Map(g.pocval.validators.map((v) => [v.address, BigInt(v.stake)]));
  const set = (g.genesis.app_state.consensus?.validators ?? []).map((k) => ({
    pubKeyEd25519: new Uint8Array(Buffer.from(k.pub_key.value, "base64")),
    power: stakes.get(k.validator)!,
  }));
  const total = set.reduce((sum, v) => sum + v.power, 0n);
  if (total > MAX_TOTAL_VOTING_POWER) {
    throw new AbciGenesisError(
      `app_state.consensus: the mapped validators' stakes sum to ${total}, above CometBFT's maximum total voting power ${MAX_TOTAL_VOTING_POWER}`,
    );
  }
  return set;
}

/** CometBFT's MaxTotalVotingPower (MaxInt64 / 8). */
export const MAX_TOTAL_VOTING_POWER = 2n ** 63n / 8n - 1n;
