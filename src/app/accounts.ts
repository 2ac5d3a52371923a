// The auth and bank state of the app, on the same store as the module under their own prefixes.

import { fromBech32, toBech32 } from "@cosmjs/encoding";
import { BaseAccount } from "cosmjs-types/cosmos/auth/v1beta1/auth";
import type { Coin } from "cosmjs-types/cosmos/base/v1beta1/coin";
import { PubKey } from "cosmjs-types/cosmos/crypto/secp256k1/keys";
import { BECH32_PREFIX } from "../chain/index.js";
import { sha256 } from "../core/index.js";
import { SdkCode, sdkError } from "./errors.js";
import type { KVStore } from "./store.js";
import { SECP256K1_PUBKEY_TYPE_URL } from "./tx.js";

const utf8 = new TextEncoder();
const text = new TextDecoder();
const ACCOUNT_PREFIX = utf8.encode("auth/acct/");
const NEXT_ACCOUNT_KEY = utf8.encode("auth/next");
const BALANCE_PREFIX = utf8.encode("bank/bal/");

const join = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** Address of a module account, as the SDK derives it: the first 20 bytes of SHA-256(name). */
export function moduleAddress(name: string): string {
  return toBech32(BECH32_PREFIX, sha256(utf8.encode(name)).subarray(0, 20));
}
export const FEE_COLLECTOR = moduleAddress("fee_collector");

/** Throws code 7 unless address is a 20-byte bech32 address with the chain's prefix. */
export function checkAddress(address: string, field: string): void {
  let decoded: { prefix: string; data: Uint8Array };
  try {
    decoded = fromBech32(address, 90);
  } catch (err) {
    throw sdkError(SdkCode.invalidAddress, `${field}: invalid address "${address}": ${(err as Error).message}`);
  }
  if (decoded.prefix !== BECH32_PREFIX || decoded.data.length !== 20) {
    throw sdkError(SdkCode.invalidAddress, `${field}: "${address}" is not a 20-byte ${BECH32_PREFIX} address`);
  }
}

export function getAccount(store: KVStore, address: string): BaseAccount | undefined {
  const raw = store.get(join(ACCOUNT_PREFIX, utf8.encode(address)));
  return raw ? BaseAccount.decode(raw) : undefined;
}

export function setAccount(store: KVStore, account: BaseAccount): void {
  store.set(join(ACCOUNT_PREFIX, utf8.encode(account.address)), BaseAccount.encode(account).finish());
}

/** The account of address, created with the next account number if it does not exist yet. */
export function ensureAccount(store: KVStore, address: string): BaseAccount {
  const existing = getAccount(store, address);
  if (existing) return existing;
  const raw = store.get(NEXT_ACCOUNT_KEY);
  const accountNumber = raw ? BigInt(text.decode(raw)) : 0n;
  store.set(NEXT_ACCOUNT_KEY, utf8.encode((accountNumber + 1n).toString()));
  const account = BaseAccount.fromPartial({ address, accountNumber, sequence: 0n });
  setAccount(store, account);
  return account;
}

/** The compressed secp256k1 key stored on an account, if it has signed before. */
export function accountPubKey(account: BaseAccount): Uint8Array | undefined {
  if (!account.pubKey || account.pubKey.typeUrl !== SECP256K1_PUBKEY_TYPE_URL) return undefined;
  return PubKey.decode(account.pubKey.value).key;
}

export function withPubKey(account: BaseAccount, pubKey: Uint8Array): BaseAccount {
  return {
    ...account,
    pubKey: { typeUrl: SECP256K1_PUBKEY_TYPE_URL, value: PubKey.encode({ key: pubKey }).finish() },
  };
}

const balanceKey = (address: string, denom: string) =>
  join(BALANCE_PREFIX, utf8.encode(address), utf8.encode("/"), utf8.encode(denom));

export function getBalance(store: KVStore, address: string, denom: string): bigint {
  const raw = store.get(balanceKey(address, denom));
  return raw ? BigInt(text.decode(raw)) : 0n;
}

function setBalance(store: KVStore, address: string, denom: string, amount: bigint): void {
  if (amount === 0n) store.delete(balanceKey(address, denom));
  else store.set(balanceKey(address, denom), utf8.encode(amount.toString()));
}

/** Every non-zero balance of address, ordered by denom. */
export function allBalances(store: KVStore, address: string): Coin[] {
  const prefix = join(BALANCE_PREFIX, utf8.encode(address), utf8.encode("/"));
  const out: Coin[] = [];
  for (const [key, value] of store.iterate(prefix)) {
    out.push({ denom: text.decode(key.subarray(prefix.length)), amount: text.decode(value) });
  }
  return out;
}

/** Adds coins to address (creating its account on first receipt, as the SDK does). */
export function mint(store: KVStore, address: string, coins: readonly Coin[]): void {
  ensureAccount(store, address);
  for (const c of coins) setBalance(store, address, c.denom, getBalance(store, address, c.denom) + BigInt(c.amount));
}

export const coinsToString = (coins: readonly Coin[]): string => coins.map((c) => `${c.amount}${c.denom}`).join(",");

/** Moves coins; throws code 5 (insufficient funds) with the SDK's log when from lacks them. */
export function transfer(store: KVStore, from: string, to: string, coins: readonly Coin[]): void {
  for (const c of coins) {
    const have = getBalance(store, from, c.denom);
    if (have < BigInt(c.amount)) {
      throw sdkError(
        SdkCode.insufficientFunds,
        `spendable balance ${have}${c.denom} is smaller than ${c.amount}${c.denom}`,
      );
    }
  }
  for (const c of coins) setBalance(store, from, c.denom, getBalance(store, from, c.denom) - BigInt(c.amount));
  mint(store, to, coins);
}

/** Throws code 10 unless coins are positive integer amounts of valid, sorted, distinct denoms. */
export function checkCoins(coins: readonly Coin[], field: string): void {
  let last = "";
  for (const c of coins) {
    if (!/^[a-zA-Z][a-zA-Z0-9/:._-]{2,127}$/.test(c.denom)) {
      throw sdkError(SdkCode.invalidCoins, `${field}: invalid denom "${c.denom}"`);
    }
    if (!/^\d{1,77}$/.test(c.amount) || BigInt(c.amount) === 0n) {
      throw sdkError(SdkCode.invalidCoins, `${field}: amount "${c.amount}${c.denom}" must be a positive integer`);
    }
    if (c.denom <= last) throw sdkError(SdkCode.invalidCoins, `${field}: denoms must be sorted and distinct`);
    last = c.denom;
  }
}
