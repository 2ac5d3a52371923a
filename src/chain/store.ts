/** The key-value store the pocval module keeps its state in; the node supplies a persistent one. */
export interface KVStore {
  get(key: Uint8Array): Uint8Array | undefined;
  set(key: Uint8Array, value: Uint8Array): void;
  delete(key: Uint8Array): void;
  /** Entries whose key starts with prefix, in ascending byte order of key. */
  iterate(prefix: Uint8Array): Iterable<[Uint8Array, Uint8Array]>;
}

// Keys and values are held as latin1 strings: one char per byte, so string order is unsigned byte
// order, and a string costs less memory than a small Uint8Array.
const latin1 = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
// A fresh ArrayBuffer per value (not a slice of Node's shared Buffer pool), safe to keep or mutate.
const bytesOf = (text: string): Uint8Array => {
  const out = new Uint8Array(text.length);
  Buffer.from(out.buffer).write(text, 0, "latin1");
  return out;
};

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

/** Sorted, duplicate-free merge of two sorted lists, keeping only keys still present. */
function mergeRuns(a: readonly string[], b: readonly string[], present: (key: string) => boolean): string[] {
  const out: string[] = [];
  let i = 0;
  let j = 0;
  let last: string | undefined;
  while (i < a.length || j < b.length) {
    const key = j >= b.length || (i < a.length && a[i]! <= b[j]!) ? a[i++]! : b[j++]!;
    if (key !== last && present(key)) out.push(key);
    last = key;
  }
  return out;
}

/**
 * An in-memory KVStore for tests and benchmarks. Values are copied in and out, so callers never
 * alias stored bytes. Keys written since the last iteration wait in a small run that an iteration
 * sorts and merges on the fly; the run is folded into the main index once it grows past an eighth
 * of it, so iterating after a few writes costs little however large the store is.
 * @example const store = memoryStore(); store.set(Uint8Array.of(1), Uint8Array.of(2));
 */
export function memoryStore(): KVStore {
  const values = new Map<string, string>();
  const present = (key: string) => values.has(key);
  // Both lists may hold deleted keys and repeats; iteration skips them.
  let main: string[] = [];
  let recent: string[] = [];
  let recentSorted = true;
  let deletions = 0;

  const prepare = (): void => {
    if (recent.length > Math.max(1024, main.length >> 3) || deletions > Math.max(1024, main.length >> 1)) {
      main = mergeRuns(main, [...recent].sort(), present);
      recent = [];
      recentSorted = true;
      deletions = 0;
    } else if (!recentSorted) {
      // A new array, so an iteration in progress keeps the order it started with.
      recent = [...recent].sort();
      recentSorted = true;
    }
  };

  return {
    get(key) {
      const value = values.get(latin1(key));
      return value === undefined ? undefined : bytesOf(value);
    },
    set(key, value) {
      const k = latin1(key);
      if (!values.has(k)) {
        recent.push(k);
        recentSorted = false;
      }
      values.set(k, latin1(value));
    },
    delete(key) {
      if (values.delete(latin1(key))) deletions++;
    },
    *iterate(prefix) {
      prepare();
      const a = main;
      const b = recent;
      const bEnd = b.length;
      const p = latin1(prefix);
      let i = lowerBound(a, p);
      let j = lowerBound(b, p);
      let last: string | undefined;
      for (;;) {
        const inA = i < a.length && a[i]!.startsWith(p);
        const inB = j < bEnd && b[j]!.startsWith(p);
        if (!inA && !inB) return;
        const key = !inB || (inA && a[i]! <= b[j]!) ? a[i++]! : b[j++]!;
        if (key === last) continue;
        last = key;
        const value = values.get(key);
        if (value !== undefined) yield [bytesOf(key), bytesOf(value)];
      }
    },
  };
}
