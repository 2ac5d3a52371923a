/** The key-value store the pocval module keeps its state in; the node supplies a persistent one. */
export interface KVStore {
  get(key: Uint8Array): Uint8Array | undefined;
  set(key: Uint8Array, value: Uint8Array): void;
  delete(key: Uint8Array): void;
  /** Entries whose key starts with prefix, in ascending byte order of key. */
  iterate(prefix: Uint8Array): Iterable<[Uint8Array, Uint8Array]>;
}

// Keys are held as latin1 strings: one char per byte, so string order is unsigned byte order.
const keyString = (key: Uint8Array): string =>
  Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("latin1");
const keyBytes = (key: string): Uint8Array => new Uint8Array(Buffer.from(key, "latin1"));

/** First index in sorted whose key is >= target. */
function lowerBound(sorted: readonly string[], target: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * An in-memory KVStore for tests and benchmarks. Values are copied in and out, so callers never
 * alias stored bytes. New keys are sorted lazily, on the first iteration after a write.
 * @example const store = memoryStore(); store.set(Uint8Array.of(1), Uint8Array.of(2));
 */
export function memoryStore(): KVStore {
  const values = new Map<string, Uint8Array>();
  let sorted: string[] = [];
  // Keys added since the last merge (unsorted, may repeat or have been deleted again).
  let pending: string[] = [];
  let deletions = 0;

  const merge = (): void => {
    if (pending.length === 0 && deletions === 0) return;
    const fresh = pending.sort();
    const out: string[] = [];
    let i = 0;
    let j = 0;
    let last: string | undefined;
    const take = (key: string): void => {
      if (key !== last && values.has(key)) out.push(key);
      last = key;
    };
    while (i < sorted.length || j < fresh.length) {
      if (j >= fresh.length || (i < sorted.length && sorted[i]! <= fresh[j]!)) take(sorted[i++]!);
      else take(fresh[j++]!);
    }
    sorted = out;
    pending = [];
    deletions = 0;
  };

  return {
    get(key) {
      return values.get(keyString(key))?.slice();
    },
    set(key, value) {
      const k = keyString(key);
      if (!values.has(k)) pending.push(k);
      values.set(k, value.slice());
    },
    delete(key) {
      if (values.delete(keyString(key))) deletions++;
    },
    *iterate(prefix) {
      merge();
      const keys = sorted;
      const p = keyString(prefix);
      for (let i = lowerBound(keys, p); i < keys.length && keys[i]!.startsWith(p); i++) {
        const value = values.get(keys[i]!);
        if (value !== undefined) yield [keyBytes(keys[i]!), value.slice()];
      }
    },
  };
}
