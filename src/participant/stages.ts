// The artifact stores of every stage under one data directory (`<dataDir>/stage-<S>`), opened on
// demand and closed when unused, so the proof server can answer for past stages after a restart.
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type ArtifactStore, openArtifactStore, storedKDim } from "./store.js";

export interface StageStores {
  /** The store of a stage that exists on disk, opened if needed; undefined if there is none. */
  get(stageHeight: number): ArtifactStore | undefined;
  /** Opens (creating if needed) a stage's store and pins it open until release(). */
  open(stageHeight: number, kDim: number): ArtifactStore;
  release(stageHeight: number): void;
  /** Stage heights with a store on disk, ascending. */
  stages(): number[];
  /** Deletes the stores of stages below `stageHeight` (closing them first). */
  pruneBelow(stageHeight: number): number[];
  close(): void;
}

const STAGE_DIR = /^stage-(\d+)$/;

export function stageDir(dataDir: string, stageHeight: number): string {
  return join(dataDir, `stage-${stageHeight}`);
}

/**
 * @param maxOpen unpinned stores kept open at most (the least recently used one is closed first)
 */
export function createStageStores(
  dataDir: string,
  opts: { maxOpen?: number; onRepair?: (event: string, fields: Record<string, unknown>) => void } = {},
): StageStores {
  const maxOpen = opts.maxOpen ?? 4;
  // Insertion order of the Map is the recency order: a hit re-inserts.
  const open = new Map<number, ArtifactStore>();
  const pinned = new Set<number>();

  const touch = (stageHeight: number, store: ArtifactStore): ArtifactStore => {
    open.delete(stageHeight);
    open.set(stageHeight, store);
    for (const [s, st] of open) {
      if (open.size - pinned.size <= maxOpen) break;
      if (pinned.has(s)) continue;
      st.close();
      open.delete(s);
    }
    return store;
  };

  return {
    get(stageHeight) {
      const hit = open.get(stageHeight);
      if (hit) return touch(stageHeight, hit);
      const dir = stageDir(dataDir, stageHeight);
      const kDim = storedKDim(dir);
      if (kDim === undefined) return undefined;
      return touch(stageHeight, openArtifactStore({ dir, stageHeight, kDim, onRepair: opts.onRepair }));
    },
    open(stageHeight, kDim) {
      pinned.add(stageHeight);
      const hit = open.get(stageHeight);
      if (hit) return touch(stageHeight, hit);
      const dir = stageDir(dataDir, stageHeight);
      return touch(stageHeight, openArtifactStore({ dir, stageHeight, kDim, onRepair: opts.onRepair }));
    },
    release(stageHeight) {
      pinned.delete(stageHeight);
      const store = open.get(stageHeight);
      if (store) touch(stageHeight, store);
    },
    stages() {
      if (!existsSync(dataDir)) return [];
      return readdirSync(dataDir)
        .map((name) => STAGE_DIR.exec(name)?.[1])
        .filter((s): s is string => s !== undefined)
        .map(Number)
        .sort((a, b) => a - b);
    },
    pruneBelow(stageHeight) {
      const removed: number[] = [];
      for (const s of this.stages()) {
        if (s >= stageHeight || pinned.has(s)) continue;
        open.get(s)?.close();
        open.delete(s);
        rmSync(stageDir(dataDir, s), { recursive: true, force: true });
        removed.push(s);
      }
      return removed;
    },
    close() {
      for (const store of open.values()) store.close();
      open.clear();
      pinned.clear();
    },
  };
}
