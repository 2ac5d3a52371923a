import { spawn } from "node:child_process";
import { appendFileSync, closeSync, ftruncateSync, openSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { auditPath, bytesEqual, leafHash, verifyInclusion } from "../../src/core/index.js";
import { openArtifactStore, StoreError } from "../../src/participant/store.js";
import { memoryRoot, memoryTree, tempDir, testVector } from "./helpers.js";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});
function dir(): string {
  const t = tempDir();
  cleanups.push(t.remove);
  return t.dir;
}
function leaves(n: number, salt = 0): { nonce: number; vector: Uint8Array }[] {
  return Array.from({ length: n }, (_, i) => ({ nonce: i, vector: testVector(i, 12, salt) }));
}

describe("artifact store", () => {
  it("serves the root of every prefix and audit paths that verify, like the in-memory tree", () => {
    const d = dir();
    const artifacts = leaves(77);
    const store = openArtifactStore({ dir: d, stageHeight: 3, kDim: 12 });
    cleanups.unshift(() => store.close());
    for (const a of artifacts) store.append(a.nonce, a.vector);
    const tree = memoryTree(artifacts);
    for (let count = 1; count <= artifacts.length; count++) {
      const root = store.root(count);
      expect(bytesEqual(root, memoryRoot(artifacts, count))).toBe(true);
      for (const index of [0, Math.floor(count / 2), count - 1]) {
        const path = store.proof(index, count);
        expect(path.map((p) => Buffer.from(p).toString("hex"))).toEqual(
          auditPath(memoryTree(artifacts.slice(0, count)), index, count).map((p) => Buffer.from(p).toString("hex")),
        );
        const leaf = store.leaf(index);
        expect(leaf.nonce).toBe(index);
        expect(verifyInclusion(leafHash(leaf.nonce, leaf.vector), index, count, path, root)).toBe(true);
      }
      // The batch of a proof answer: the same paths, every leaf of the tree at once.
      const all = Array.from({ length: count }, (_, i) => i);
      const hex = (paths: Uint8Array[][]) => paths.map((path) => path.map((p) => Buffer.from(p).toString("hex")));
      expect(hex(store.proofs(all, count))).toEqual(hex(all.map((i) => store.proof(i, count))));
    }
    expect(store.nodes.node(6, 0)).toEqual(tree.node(6, 0));
  });

  it("stores nonces beyond 32 bits exactly as the leaf hash encodes them", () => {
    const store = openArtifactStore({ dir: dir(), stageHeight: 8, kDim: 12 });
    cleanups.unshift(() => store.close());
    const artifacts = [2 ** 40 + 5, 2 ** 32, Number.MAX_SAFE_INTEGER].map((nonce, i) => ({
      nonce,
      vector: testVector(i),
    }));
    for (const a of artifacts) store.append(a.nonce, a.vector);
    expect([0, 1, 2].map((i) => store.leaf(i).nonce)).toEqual(artifacts.map((a) => a.nonce));
    expect(bytesEqual(store.root(), memoryRoot(artifacts))).toBe(true);
  });

  it("refuses wrong vector sizes, bad counts and reads past the end, naming the stage", () => {
    const store = openArtifactStore({ dir: dir(), stageHeight: 9, kDim: 12 });
    cleanups.unshift(() => store.close());
    expect(() => store.append(0, new Uint8Array(23))).toThrow(/stage 9.*23 bytes/);
    expect(() => store.root()).toThrow(StoreError);
    store.append(0, testVector(0));
    expect(() => store.root(2)).toThrow(/count 2 outside 1..1/);
    expect(() => store.leaf(1)).toThrow(/leaf 1 outside/);
    expect(() => store.proof(0, 0)).toThrow(StoreError);
    expect(() => store.proofs([0], 0)).toThrow(StoreError);
  });

  it("keeps its contents, root and snapshots across a restart and appends on", () => {
    const d = dir();
    const artifacts = leaves(5000);
    let store = openArtifactStore({ dir: d, stageHeight: 5, kDim: 12 });
    for (const a of artifacts.slice(0, 3001)) store.append(a.nonce, a.vector);
    const root3001 = store.root();
    store.markCommitted({ count: 3001, rootHash: root3001 });
    store.markCommitted({ count: 1000, rootHash: store.root(1000) });
    store.close();

    store = openArtifactStore({ dir: d, stageHeight: 5, kDim: 12 });
    expect(store.size).toBe(3001);
    expect(bytesEqual(store.root(), root3001)).toBe(true);
    expect(store.holds(3001, root3001)).toBe(true);
    expect(store.holds(1000, memoryRoot(artifacts, 1000))).toBe(true);
    expect(store.holds(3000, memoryRoot(artifacts, 3000))).toBe(false);
    expect(store.committed().map((s) => s.count)).toEqual([3001, 1000]);
    expect(store.latestConfirmed()).toBeUndefined();
    expect(store.markConfirmed({ count: 1000, rootHash: memoryRoot(artifacts, 1000) })).toBe(true);
    expect(store.markConfirmed({ count: 1000, rootHash: root3001 })).toBe(false);
    store.close();
    store = openArtifactStore({ dir: d, stageHeight: 5, kDim: 12 });
    expect(store.latestConfirmed()?.count).toBe(1000);
    expect(store.committed().map((s) => s.confirmed)).toEqual([false, true]);
    for (const a of artifacts.slice(3001)) store.append(a.nonce, a.vector);
    expect(bytesEqual(store.root(), memoryRoot(artifacts))).toBe(true);
    store.close();
    expect(() => openArtifactStore({ dir: d, stageHeight: 5, kDim: 16 })).toThrow(/k_dim 12/);
    expect(() => openArtifactStore({ dir: d, stageHeight: 6, kDim: 12 })).toThrow(/belongs to stage 5/);
  });

  it("refuses to record a snapshot that does not match its leaves", () => {
    const store = openArtifactStore({ dir: dir(), stageHeight: 1, kDim: 12 });
    cleanups.unshift(() => store.close());
    for (const a of leaves(10)) store.append(a.nonce, a.vector);
    expect(() => store.markCommitted({ count: 10, rootHash: store.root(9) })).toThrow(/differs/);
    expect(store.committed()).toEqual([]);
  });

  it("repairs a torn record, missing nodes and nodes past the leaves on open", () => {
    const d = dir();
    const artifacts = leaves(1500);
    const store = openArtifactStore({ dir: d, stageHeight: 2, kDim: 12 });
    for (const a of artifacts.slice(0, 1300)) store.append(a.nonce, a.vector);
    store.close();
    // A crash mid-append: half a record on the leaves file, the last node writes lost on
    // level 0, and level 3 holding a node the leaves never reached.
    appendFileSync(join(d, "leaves.bin"), Buffer.alloc(13, 7));
    const level0 = openSync(join(d, "level-0.bin"), "r+");
    ftruncateSync(level0, 1210 * 32);
    closeSync(level0);
    appendFileSync(join(d, "level-3.bin"), Buffer.alloc(32 * 3, 1));
    appendFileSync(join(d, "level-9.bin"), Buffer.alloc(17, 1));
    const events: string[] = [];
    const reopened = openArtifactStore({ dir: d, stageHeight: 2, kDim: 12, onRepair: (e) => events.push(e) });
    expect(events).toEqual(["store_torn_record_cut", "store_nodes_rebuilt"]);
    expect(reopened.size).toBe(1300);
    expect(statSync(join(d, "leaves.bin")).size).toBe(1300 * 32);
    expect(statSync(join(d, "level-3.bin")).size).toBe(Math.floor(1300 / 8) * 32);
    expect(bytesEqual(reopened.root(), memoryRoot(artifacts, 1300))).toBe(true);
    for (const a of artifacts.slice(1300)) reopened.append(a.nonce, a.vector);
    expect(bytesEqual(reopened.root(), memoryRoot(artifacts))).toBe(true);
    reopened.close();
  });

  it("drops a recorded snapshot that the leaves no longer back", () => {
    const d = dir();
    const store = openArtifactStore({ dir: d, stageHeight: 2, kDim: 12 });
    for (const a of leaves(20)) store.append(a.nonce, a.vector);
    store.markCommitted({ count: 20, rootHash: store.root() });
    store.close();
    writeFileSync(join(d, "leaves.bin"), Buffer.alloc(10 * 32));
    const events: string[] = [];
    const reopened = openArtifactStore({ dir: d, stageHeight: 2, kDim: 12, onRepair: (e) => events.push(e) });
    cleanups.unshift(() => reopened.close());
    expect(reopened.size).toBe(10);
    expect(reopened.committed()).toEqual([]);
    expect(events).toContain("store_snapshot_dropped");
  });

  it("survives kill -9 mid-append: same leaves, a consistent root and its committed snapshots", async () => {
    const d = dir();
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(import.meta.dirname, "fixtures/append-forever.ts"), d],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        if (chunk.toString().includes("appending")) resolve();
      });
      child.once("exit", (code) => reject(new Error(`child exited early with ${code}`)));
    });
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
    const store = openArtifactStore({ dir: d, stageHeight: 7, kDim: 12 });
    cleanups.unshift(() => store.close());
    expect(store.size).toBeGreaterThan(3000);
    const artifacts = leaves(store.size);
    expect(bytesEqual(store.root(), memoryRoot(artifacts))).toBe(true);
    const snapshots = store.committed();
    expect(snapshots.length).toBeGreaterThan(0);
    for (const s of snapshots) expect(bytesEqual(s.rootHash, memoryRoot(artifacts, s.count))).toBe(true);
  }, 60_000);

  it("keeps memory bounded at 200,000 artifacts and serves correct proofs", () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const d = dir();
    const n = 200_000;
    const store = openArtifactStore({ dir: d, stageHeight: 11, kDim: 12 });
    cleanups.unshift(() => store.close());
    const vector = new Uint8Array(24);
    const view = new DataView(vector.buffer);
    const hashes = new Uint8Array(n * 32);
    const used = () => {
      gc();
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const appendUpTo = (end: number) => {
      for (let i = store.size; i < end; i++) {
        view.setUint32(0, i, true);
        store.append(i, vector);
      }
      store.flush();
    };
    appendUpTo(n / 2);
    const half = used();
    appendUpTo(n);
    // The second 100,000 artifacts add ~9.6 MB to the files (3.2 MB of records, 6.4 MB of
    // nodes); the process keeps O(log n), so its memory must not follow.
    expect(used() - half).toBeLessThan(1024 * 1024);
    expect(statSync(join(d, "leaves.bin")).size).toBe(n * 32);

    for (let i = 0; i < n; i++) {
      view.setUint32(0, i, true);
      hashes.set(leafHash(i, vector), i * 32);
    }
    const root = store.root();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 1, max: n }), (index, rawCount) => {
        const count = Math.max(rawCount, index + 1);
        const path = store.proof(index, count);
        const countRoot = count === n ? root : store.root(count);
        return verifyInclusion(hashes.slice(index * 32, index * 32 + 32), index, count, path, countRoot);
      }),
      { numRuns: 200 },
    );
  }, 60_000);

  it("property: any cut of the files (a crash at any byte) reopens to the root of the surviving leaves", () => {
    const artifacts = leaves(300, 5);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 9, maxLength: 9 }),
        (n, leafCut, levelCuts) => {
          const d = dir();
          const store = openArtifactStore({ dir: d, stageHeight: 4, kDim: 12 });
          for (const a of artifacts.slice(0, n)) store.append(a.nonce, a.vector);
          store.close();
          const cut = (file: string, fraction: number) => {
            const path = join(d, file);
            const fd = openSync(path, "r+");
            ftruncateSync(fd, Math.floor(statSync(path).size * fraction));
            closeSync(fd);
          };
          cut("leaves.bin", leafCut);
          levelCuts.forEach((fraction, l) => {
            if (l < Math.floor(Math.log2(n)) + 1) cut(`level-${l}.bin`, fraction);
          });
          const reopened = openArtifactStore({ dir: d, stageHeight: 4, kDim: 12 });
          const survived = Math.floor((n * 32 * leafCut) / 32);
          const ok =
            reopened.size === survived &&
            (survived === 0 || bytesEqual(reopened.root(), memoryRoot(artifacts, survived)));
          for (const a of artifacts.slice(survived, n)) reopened.append(a.nonce, a.vector);
          const resumed = bytesEqual(reopened.root(), memoryRoot(artifacts, n));
          reopened.close();
          return ok && resumed;
        },
      ),
      { numRuns: 60 },
    );
  });

  it("property: any append split across reopenings gives the in-memory root", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 70 }), { minLength: 1, maxLength: 5 }), (chunks) => {
        const d = dir();
        const total = chunks.reduce((a, b) => a + b, 0);
        if (total === 0) return true;
        const artifacts = leaves(total, 3);
        let next = 0;
        for (const chunk of chunks) {
          const store = openArtifactStore({ dir: d, stageHeight: 4, kDim: 12 });
          for (let i = 0; i < chunk; i++, next++) store.append(artifacts[next]!.nonce, artifacts[next]!.vector);
          store.close();
        }
        const store = openArtifactStore({ dir: d, stageHeight: 4, kDim: 12 });
        const ok = store.size === total && bytesEqual(store.root(), memoryRoot(artifacts));
        store.close();
        return ok;
      }),
      { numRuns: 40 },
    );
  });
});
