/** Bech32 prefix of pocval account addresses (`pocval1...`). */
export const BECH32_PREFIX = "pocval";
/** The localnet's staking and fee denomination. */
export const DENOM = "upoc";
/** Gas price clients use by default; the node refuses fees below MIN_GAS_PRICE_AMOUNT per gas. */
export const DEFAULT_GAS_PRICE = `0.025${DENOM}`;
/** Minimum fee per unit of gas the localnet node accepts, in DENOM. */
export const MIN_GAS_PRICE_AMOUNT = 0.01;
/** Standard Cosmos HD path m/44'/118'/0'/0/0 (cosmjs makeCosmoshubPath(0)). */
export const HD_PATH = "m/44'/118'/0'/0/0";
