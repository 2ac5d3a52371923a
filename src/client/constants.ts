// The chain's names (defined in chain/constants.ts) and what a client adds to them.

import { DENOM } from "../chain/index.js";

export { BECH32_PREFIX, DENOM, MIN_GAS_PRICE_AMOUNT } from "../chain/index.js";
/** Gas price clients use by default; the node refuses fees below MIN_GAS_PRICE_AMOUNT per gas. */
export const DEFAULT_GAS_PRICE = `0.025${DENOM}`;
/** Standard Cosmos HD path m/44'/118'/0'/0/0 (cosmjs makeCosmoshubPath(0)). */
export const HD_PATH = "m/44'/118'/0'/0/0";
/** The Ethereum HD path m/44'/60'/0'/0/0: the EVM account of the same mnemonic (src/evm/keys.ts evmHdPath(0)). */
export const EVM_HD_PATH = "m/44'/60'/0'/0/0";
