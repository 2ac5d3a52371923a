import { afterEach, describe, expect, it } from "vitest";
import { encodeVector } from "../../src/core/index.js";
import { appendBatch, appendPrepared, ComputeResultError, prepareBatch } from "../../src/participant/generate.js";
import { openArtifactStore } from "../../src/participant/store.js";
import { tempDir, testVector } from "./helpers.js";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});
function store() {
  const t = tempDir();
  const s = openArtifactStore({ dir: t.dir, stageHeight: 3, kDim: 12 });
  cleanups.push(() => {
    s.close();
    t.remove();
  });
  return s;
}
const compute = async (nonces: number[]) => nonces.map((n) => testVector(n));

describe("generation steps", () => {
  it("appends the planned leaves with the computed vectors in order", async () => {
    const s = store();
    expect(await appendBatch(s, { kind: "honest" }, 5, compute)).toEqual({ appended: 5, computed: 5 });
    expect(await appendBatch(s, { kind: "honest" }, 3, compute)).toEqual({ appended: 3, computed: 3 });
    expect(s.size).toBe(8);
    expect(s.leaf(6)).toEqual({ nonce: 6, vector: testVector(6) });
    expect(await appendBatch(s, { kind: "honest" }, 0, compute)).toEqual({ appended: 0, computed: 0 });
  });

  it("reproduces random:F vectors from the same seed, and changes them with another", async () => {
    const seed = new Uint8Array([1, 2, 3]);
    const a = await prepareBatch({ kind: "random", fraction: 1 }, 0, 4, 12, compute, seed);
    const b = await prepareBatch({ kind: "random", fraction: 1 }, 0, 4, 12, compute, seed);
    const c = await prepareBatch({ kind: "random", fraction: 1 }, 0, 4, 12, compute, new Uint8Array([9]));
    expect(a.computed).toBe(0);
    expect(a.leaves).toEqual(b.leaves);
    expect(a.leaves[0]!.vector).not.toEqual(c.leaves[0]!.vector);
  });

  it("refuses a compute path that answers too few vectors or the wrong size, and appends nothing", async () => {
    const s = store();
    await expect(appendBatch(s, { kind: "honest" }, 3, async () => [testVector(0)])).rejects.toThrow(
      /asked for 3 vectors, got 1/,
    );
    await expect(appendBatch(s, { kind: "honest" }, 2, async (n) => n.map(() => encodeVector([1])))).rejects.toThrow(
      ComputeResultError,
    );
    expect(s.size).toBe(0);
  });

  it("appends prepared batches only in order", async () => {
    const s = store();
    const first = await prepareBatch({ kind: "honest" }, 0, 4, 12, compute);
    const second = await prepareBatch({ kind: "honest" }, 4, 4, 12, compute);
    expect(() => appendPrepared(s, second)).toThrow(/starts at leaf 4, the store holds 0/);
    appendPrepared(s, first);
    appendPrepared(s, second);
    expect(s.size).toBe(8);
  });
});
