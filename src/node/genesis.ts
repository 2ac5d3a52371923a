// The node's CometBFT-shaped genesis.json: schema and parsing (errors name the file and field).
import { z } from "zod";
import { appStateSchema } from "../app/index.js";
import { zodFieldLines } from "../core/index.js";
import { GenesisState } from "../gen/pocval/v1/genesis.js";
import { HomeError } from "./errors.js";

const digits = z.string().regex(/^\d+$/, "must be a non-negative integer in decimal");
const upperHex = (bytes: number) =>
  z.string().regex(new RegExp(`^[0-9A-Fa-f]{${bytes * 2}}$`), `must be ${bytes} bytes of hex`);
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, "must be base64");

export const CHAIN_ID_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,48}$/;

/** The CometBFT-shaped genesis document the node starts from (`HOME/genesis.json`). */
export const nodeGenesisSchema = z.object({
  genesis_time: z.iso.datetime({ offset: true }),
  chain_id: z.string().regex(CHAIN_ID_PATTERN, "must be 1-49 letters, digits, '.', '_' or '-'"),
  initial_height: z.literal("1"),
  consensus_params: z.object({
    block: z.object({ max_bytes: digits, max_gas: z.string() }),
    evidence: z.object({ max_age_num_blocks: digits, max_age_duration: digits, max_bytes: digits }),
    validator: z.object({ pub_key_types: z.array(z.string()) }),
    version: z.object({ app: digits }),
  }),
  validators: z
    .array(
      z.object({
        address: upperHex(20),
        pub_key: z.object({ type: z.literal("tendermint/PubKeySecp256k1"), value: base64 }),
        power: digits,
        name: z.string(),
      }),
    )
    .min(1, "needs at least one validator"),
  app_hash: z.string(),
  app_state: appStateSchema,
});

export type NodeGenesis = z.infer<typeof nodeGenesisSchema>;

/** Parses genesis JSON text; errors name the file and the field. */
export function parseNodeGenesis(text: string, path: string): { genesis: NodeGenesis; pocval: GenesisState } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new HomeError(path, `not valid JSON: ${(err as Error).message}`);
  }
  const parsed = nodeGenesisSchema.safeParse(json);
  if (!parsed.success) throw new HomeError(path, zodFieldLines(parsed.error).join("; "));
  let pocval: GenesisState;
  try {
    pocval = GenesisState.fromJSON(parsed.data.app_state.pocval);
  } catch (err) {
    throw new HomeError(path, `app_state.pocval: ${(err as Error).message}`);
  }
  return { genesis: parsed.data, pocval };
}
