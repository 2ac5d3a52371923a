import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { memoryStore } from "../../src/chain/index.js";
import { toHex } from "../../src/core/index.js";

const b = (...bytes: number[]) => Uint8Array.from(bytes);
const entries = (it: Iterable<[Uint8Array, Uint8Array]>) => [...it].map(([k, v]) => [toHex(k), toHex(v)]);

describe("memoryStore", () => {
  it("iterates a prefix in ascending unsigned byte order", () => {
    const store = memoryStore();
    for (const k of [b(1, 0xff), b(1, 0x80), b(1), b(2, 0), b(1, 0x00, 5), b(0, 9)]) store.set(k, b(k.length));
    expect(entries(store.iterate(b(1)))).toEqual([
      ["01", "01"],
      ["010005", "03"],
      ["0180", "02"],
      ["01ff", "02"],
    ]);
    expect(entries(store.iterate(b())).map(([k]) => k)).toEqual(["0009", "01", "010005", "0180", "01ff", "0200"]);
  });

  it("forgets deleted keys and keeps a key set again after deletion once", () => {
    const store = memoryStore();
    store.set(b(3), b(1));
    expect(entries(store.iterate(b()))).toEqual([["03", "01"]]);
    store.delete(b(3));
    expect(store.get(b(3))).toBeUndefined();
    store.set(b(3), b(2));
    store.delete(b(3));
    store.set(b(3), b(4));
    expect(entries(store.iterate(b()))).toEqual([["03", "04"]]);
  });

  it("copies values in and out so callers never alias its state", () => {
    const store = memoryStore();
    const value = b(1, 2);
    store.set(b(1), value);
    value[0] = 9;
    store.get(b(1))![1] = 9;
    for (const [, v] of store.iterate(b())) v[0] = 7;
    expect(toHex(store.get(b(1))!)).toBe("0102");
  });

  it("stays sorted across index compactions with thousands of keys, deletions and re-insertions", () => {
    const store = memoryStore();
    const model = new Map<string, string>();
    const keyOf = (i: number) => Uint8Array.of(7, (i * 7919) & 0xff, ((i * 104_729) >> 8) & 0xff, i & 0xff);
    const check = () => {
      const expected = [...model.entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
      expect(entries(store.iterate(b(7)))).toEqual(expected);
    };
    for (let round = 0; round < 4; round++) {
      for (let i = round * 1500; i < (round + 1) * 1500; i++) {
        store.set(keyOf(i), b(round));
        model.set(toHex(keyOf(i)), toHex(b(round)));
      }
      for (let i = round; i < (round + 1) * 1500; i += 3) {
        store.delete(keyOf(i));
        model.delete(toHex(keyOf(i)));
      }
      check();
      store.set(keyOf(round), b(9));
      model.set(toHex(keyOf(round)), "09");
      check();
    }
  });

  it("keeps an iteration in progress consistent while it writes", () => {
    const store = memoryStore();
    for (let i = 0; i < 50; i++) store.set(b(1, i * 2), b(i));
    const seen: string[] = [];
    for (const [k] of store.iterate(b(1))) {
      seen.push(toHex(k));
      store.set(b(1, k[1]! + 1), b(0));
      expect(entries(store.iterate(b(1, k[1]!)))[0]![0]).toBe(toHex(k));
    }
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => toHex(b(1, i * 2))));
    expect([...store.iterate(b(1))]).toHaveLength(100);
  });

  it("behaves like a sorted map under random operations (property)", () => {
    const key = fc.uint8Array({ minLength: 0, maxLength: 3, max: 3 });
    const op = fc.oneof(
      fc.record({ kind: fc.constant("set" as const), key, value: fc.uint8Array({ maxLength: 2 }) }),
      fc.record({ kind: fc.constant("delete" as const), key }),
      fc.record({ kind: fc.constant("iterate" as const), key }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const store = memoryStore();
        const model = new Map<string, string>();
        for (const o of ops) {
          const k = toHex(o.key);
          if (o.kind === "set") {
            store.set(o.key, o.value);
            model.set(k, toHex(o.value));
          } else if (o.kind === "delete") {
            store.delete(o.key);
            model.delete(k);
          } else {
            const expected = [...model.entries()]
              .filter(([mk]) => mk.startsWith(k))
              .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
            expect(entries(store.iterate(o.key))).toEqual(expected);
          }
          expect(store.get(o.key) === undefined ? undefined : toHex(store.get(o.key)!)).toBe(model.get(k));
        }
      }),
    );
  });
});
