import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../src/app/db.js";
import { bufferedStore, type KVStore, prefixEnd, prefixStore, sqliteStore } from "../../src/app/store.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
// An in-memory SQLite database: the same SQL and byte ordering as the node's file.
const freshSqlite = (): { store: KVStore; close: () => void } => {
  const db = openDatabase(":memory:");
  return { store: sqliteStore(db), close: () => db.close() };
};

type Op = { kind: "set"; key: Uint8Array; value: Uint8Array } | { kind: "delete"; key: Uint8Array };
const smallKey = fc.uint8Array({ minLength: 0, maxLength: 3 }).map((k) => k.map((b) => b % 4));
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), key: smallKey, value: fc.uint8Array({ minLength: 1, maxLength: 4 }) }),
  fc.record({ kind: fc.constant("delete" as const), key: smallKey }),
);
const apply = (store: KVStore, model: Map<string, string>, ops: Op[]) => {
  for (const o of ops) {
    if (o.kind === "set") {
      store.set(o.key, o.value);
      model.set(hex(o.key), hex(o.value));
    } else {
      store.delete(o.key);
      model.delete(hex(o.key));
    }
  }
};
const listed = (store: KVStore, prefix: Uint8Array) => [...store.iterate(prefix)].map(([k, v]) => [hex(k), hex(v)]);
const modelListed = (model: Map<string, string>, prefix: Uint8Array) =>
  [...model.entries()].filter(([k]) => k.startsWith(hex(prefix))).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

describe("stores", () => {
  it("prefixEnd is the least key above every key with the prefix", () => {
    expect(hex(prefixEnd(Uint8Array.of(1, 2))!)).toBe("0103");
    expect(hex(prefixEnd(Uint8Array.of(1, 0xff))!)).toBe("02");
    expect(prefixEnd(Uint8Array.of(0xff, 0xff))).toBeUndefined();
  });

  it("a buffer over SQLite reads, iterates and flushes like a plain map", () => {
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 30 }),
        fc.array(op, { maxLength: 30 }),
        smallKey,
        (base, buffered, prefix) => {
          const { store: parent, close } = freshSqlite();
          const model = new Map<string, string>();
          apply(parent, model, base);
          const buffer = bufferedStore(parent);
          const parentBefore = listed(parent, new Uint8Array());
          apply(buffer, model, buffered);
          expect(listed(buffer, prefix)).toEqual(modelListed(model, prefix));
          for (const [k, v] of model) expect(hex(buffer.get(Buffer.from(k, "hex"))!)).toBe(v);
          expect(listed(parent, new Uint8Array())).toEqual(parentBefore);
          buffer.flush();
          expect(listed(parent, prefix)).toEqual(modelListed(model, prefix));
          expect(buffer.writes()).toEqual([]);
          close();
        },
      ),
      { numRuns: 150 },
    );
  });

  it("lists buffered writes in key order, deletes included", () => {
    const buffer = bufferedStore(bufferedStore(freshSqlite().store));
    buffer.set(Uint8Array.of(2), Uint8Array.of(9));
    buffer.delete(Uint8Array.of(1));
    buffer.set(Uint8Array.of(0, 5), Uint8Array.of(8));
    expect(buffer.writes().map(([k, v]) => [hex(k), v && hex(v)])).toEqual([
      ["0005", "08"],
      ["01", undefined],
      ["02", "09"],
    ]);
  });

  it("a prefix store keeps its keys apart from the rest", () => {
    const root = bufferedStore(freshSqlite().store);
    const a = prefixStore(root, new TextEncoder().encode("a/"));
    const b = prefixStore(root, new TextEncoder().encode("b/"));
    a.set(Uint8Array.of(1), Uint8Array.of(10));
    b.set(Uint8Array.of(1), Uint8Array.of(20));
    expect(a.get(Uint8Array.of(1))).toEqual(Uint8Array.of(10));
    expect(listed(b, new Uint8Array())).toEqual([["01", "14"]]);
    expect(listed(root, new Uint8Array()).map(([k]) => Buffer.from(k!, "hex").toString("latin1"))).toEqual([
      "a/\x01",
      "b/\x01",
    ]);
  });
});
