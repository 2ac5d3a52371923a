// Key-value stores for the app: write buffers and prefixes over a parent store.
import type Database from "better-sqlite3";
import type { KVStore } from "../chain/index.js";

/** The module's key-value store interface; the node's auth and bank state use it too. */
export type { KVStore };

/** One buffered write: a value, or undefined for a delete. */
export type Write = [key: Uint8Array, value: Uint8Array | undefined];

/** A write-buffered view of a parent store: nothing reaches the parent until `flush()`. */
export interface BufferedStore extends KVStore {
  /** The buffered writes in ascending key order. */
  writes(): Write[];
  /** Applies the buffered writes to the parent and empties the buffer. */
  flush(): void;
}

// Lower-case hex of a key sorts exactly like the key's bytes, so it doubles as the map key.
const hexOf = (key: Uint8Array): string => Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("hex");
const bytesOf = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, "hex"));

function startsWith(key: Uint8Array, prefix: Uint8Array): boolean {
  if (key.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (key[i] !== prefix[i]) return false;
  return true;
}

/** The smallest key greater than every key starting with prefix, or undefined if none exists. */
export function prefixEnd(prefix: Uint8Array): Uint8Array | undefined {
  const end = Uint8Array.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]! += 1;
      return end.subarray(0, i + 1);
    }
  }
  return undefined;
}

/**
 * Buffers writes over parent. Reads see the buffer first; iteration merges the parent's entries
 * with the buffered ones in byte order, so a transaction reads its own writes.
 */
export function bufferedStore(parent: KVStore): BufferedStore {
  const buffer = new Map<string, Uint8Array | undefined>();
  return {
    get(key) {
      const hex = hexOf(key);
      if (buffer.has(hex)) return buffer.get(hex);
      return parent.get(key);
    },
    set(key, value) {
      buffer.set(hexOf(key), Uint8Array.from(value));
    },
    delete(key) {
      buffer.set(hexOf(key), undefined);
    },
    *iterate(prefix) {
      const prefixHex = hexOf(prefix);
      const own = [...buffer.keys()].filter((k) => k.startsWith(prefixHex)).sort();
      let i = 0;
      for (const [key, value] of parent.iterate(prefix)) {
        const hex = hexOf(key);
        while (i < own.length && own[i]! < hex) {
          const v = buffer.get(own[i]!);
          if (v !== undefined) yield [bytesOf(own[i]!), v];
          i++;
        }
        if (i < own.length && own[i] === hex) {
          const v = buffer.get(own[i]!);
          if (v !== undefined) yield [key, v];
          i++;
          continue;
        }
        yield [key, value];
      }
      for (; i < own.length; i++) {
        const v = buffer.get(own[i]!);
        if (v !== undefined) yield [bytesOf(own[i]!), v];
      }
    },
    writes() {
      return [...buffer.keys()].sort().map((hex): Write => [bytesOf(hex), buffer.get(hex)]);
    },
    flush() {
      for (const [key, value] of this.writes()) {
        if (value === undefined) parent.delete(key);
        else parent.set(key, value);
      }
      buffer.clear();
    },
  };
}

/** A view of parent where every key is prefixed: keeps the module, auth and bank apart. */
export function prefixStore(parent: KVStore, prefix: Uint8Array): KVStore {
  const full = (key: Uint8Array): Uint8Array => {
    const out = new Uint8Array(prefix.length + key.length);
    out.set(prefix);
    out.set(key, prefix.length);
    return out;
  };
  return {
    get: (key) => parent.get(full(key)),
    set: (key, value) => parent.set(full(key), value),
    delete: (key) => parent.delete(full(key)),
    *iterate(sub) {
      for (const [key, value] of parent.iterate(full(sub))) {
        if (startsWith(key, prefix)) yield [key.subarray(prefix.length), value];
      }
    },
  };
}

/** A store over the `state` table of the node's SQLite database (key and value as BLOBs). */
export function sqliteStore(db: Database.Database): KVStore {
  const getStmt = db.prepare<[Uint8Array], { value: Uint8Array }>("SELECT value FROM state WHERE key = ?");
  const setStmt = db.prepare<[Uint8Array, Uint8Array]>(
    "INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
  );
  const deleteStmt = db.prepare<[Uint8Array]>("DELETE FROM state WHERE key = ?");
  const rangeStmt = db.prepare<[Uint8Array, Uint8Array], { key: Uint8Array; value: Uint8Array }>(
    "SELECT key, value FROM state WHERE key >= ? AND key < ? ORDER BY key",
  );
  const fromStmt = db.prepare<[Uint8Array], { key: Uint8Array; value: Uint8Array }>(
    "SELECT key, value FROM state WHERE key >= ? ORDER BY key",
  );
  const plain = (b: Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return {
    get(key) {
      const row = getStmt.get(Buffer.from(key));
      return row ? plain(row.value) : undefined;
    },
    set(key, value) {
      setStmt.run(Buffer.from(key), Buffer.from(value));
    },
    delete(key) {
      deleteStmt.run(Buffer.from(key));
    },
    *iterate(prefix) {
      const end = prefixEnd(prefix);
      // Materialized so that writes during iteration cannot disturb the statement.
      const rows = end ? rangeStmt.all(Buffer.from(prefix), Buffer.from(end)) : fromStmt.all(Buffer.from(prefix));
      for (const row of rows) yield [plain(row.key), plain(row.value)];
    },
  };
}

/** A store in memory (an empty parent under a buffer), for simulations and tests. */
export function emptyStore(): KVStore {
  return {
    get: () => undefined,
    set: () => {
      throw new Error("emptyStore is read-only; wrap it in bufferedStore");
    },
    delete: () => {
      throw new Error("emptyStore is read-only; wrap it in bufferedStore");
    },
    iterate: () => [],
  };
}
