// Block hashing: the app hash after a block, the data hash and the header hash.
import { sha256, u64le } from "../core/index.js";
import type { BlockHeader } from "./db.js";
import type { Write } from "./store.js";

const utf8 = new TextEncoder();
const HEADER_DOMAIN = utf8.encode("pocval/block/v1");
const APP_HASH_DOMAIN = utf8.encode("pocval/app/v1");

function u32be(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

/** A length-prefixed field, so that no two different field lists encode alike. */
const field = (bytes: Uint8Array): Uint8Array[] => [u32be(bytes.length), bytes];
const hexBytes = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, "hex"));

function concat(parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/**
 * The app hash after a block: SHA-256 over the previous app hash, the height and the block's state
 * writes in key order (each key, a set/delete flag and the value, length-prefixed). It depends only
 * on what the block wrote, so every replay of the same blocks yields the same chain of hashes.
 */
export function nextAppHash(previous: Uint8Array, height: bigint, writes: readonly Write[]): Uint8Array {
  const parts: Uint8Array[] = [APP_HASH_DOMAIN, ...field(previous), u64le(height)];
  for (const [key, value] of writes) {
    parts.push(...field(key));
    if (value === undefined) parts.push(Uint8Array.of(0));
    else parts.push(Uint8Array.of(1), ...field(value));
  }
  return sha256(concat(parts));
}

/** The data hash of a block: SHA-256 over its tx hashes in order. */
export function dataHash(txs: readonly Uint8Array[]): string {
  return Buffer.from(sha256(concat(txs.map((tx) => sha256(tx))))).toString("hex");
}

/** The block hash: SHA-256 over a canonical, length-prefixed encoding of the header (lower-case hex). */
export function hashHeader(h: BlockHeader): string {
  const bytes = concat([
    HEADER_DOMAIN,
    u64le(h.height),
    ...field(utf8.encode(h.chainId)),
    ...field(utf8.encode(h.time)),
    ...field(hexBytes(h.lastBlockHash)),
    ...field(hexBytes(h.dataHash)),
    ...field(hexBytes(h.appHash)),
    ...field(hexBytes(h.proposerAddress)),
  ]);
  return Buffer.from(sha256(bytes)).toString("hex");
}
