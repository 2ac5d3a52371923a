import { existsSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { createStageStores, stageDir } from "../../src/participant/stages.js";
import { tempDir, testVector } from "./helpers.js";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe("stage stores", () => {
  it("opens stores of past stages from disk on demand, and none for stages it never had", () => {
    const t = tempDir();
    cleanups.push(t.remove);
    const first = createStageStores(t.dir);
    const store = first.open(10, 12);
    for (let i = 0; i < 5; i++) store.append(i, testVector(i));
    const root = store.root();
    first.close();

    const again = createStageStores(t.dir);
    cleanups.unshift(() => again.close());
    expect(again.get(11)).toBeUndefined();
    expect(again.get(10)?.root()).toEqual(root);
    expect(again.stages()).toEqual([10]);
  });

  it("closes the least recently used unpinned store beyond maxOpen, never a pinned one", () => {
    const t = tempDir();
    cleanups.push(t.remove);
    const stores = createStageStores(t.dir, { maxOpen: 1 });
    cleanups.unshift(() => stores.close());
    const pinned = stores.open(1, 12);
    for (const s of [2, 3]) {
      stores.open(s, 12).append(0, testVector(0));
      stores.release(s);
    }
    // Stage 2 was closed to make room for 3; the pinned stage 1 is still usable.
    pinned.append(0, testVector(0));
    expect(pinned.size).toBe(1);
    expect(stores.get(2)?.size).toBe(1);
  });

  it("prunes the stores of stages below a height, keeping pinned ones", () => {
    const t = tempDir();
    cleanups.push(t.remove);
    const stores = createStageStores(t.dir);
    cleanups.unshift(() => stores.close());
    for (const s of [5, 35, 65]) {
      stores.open(s, 12).append(0, testVector(0));
      if (s !== 5) stores.release(s);
    }
    expect(stores.pruneBelow(65)).toEqual([35]);
    expect(existsSync(stageDir(t.dir, 35))).toBe(false);
    expect(stores.stages()).toEqual([5, 65]);
  });
});
