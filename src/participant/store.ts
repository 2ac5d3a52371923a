// The disk-backed artifact store of one stage: append-only (nonce, vector) records plus every
// perfect Merkle node, so that roots and audit paths of any committed size cost O(log n) reads
// and memory stays O(log n) whatever the number of artifacts.
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import {
  auditPath,
  auditPaths,
  bytesEqual,
  createAppender,
  fromBase64,
  HASH_SIZE,
  leafHash,
  type MerkleAppender,
  merkleRoot,
  type PerfectNodes,
  PocvalError,
  toBase64,
} from "../core/index.js";

/** A store that cannot be opened, written or read as asked; names the stage and what failed. */
export class StoreError extends PocvalError {
  override name = "StoreError";
  constructor(
    readonly stageHeight: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`artifact store of stage ${stageHeight}: ${message}`, options);
  }
}

/** A (count, root) that the participant committed (or is about to commit) on chain. */
export interface Snapshot {
  count: number;
  rootHash: Uint8Array;
}

/** A recorded snapshot; `confirmed` once the chain is known to have accepted it. */
export interface CommittedSnapshot extends Snapshot {
  confirmed: boolean;
}

/** One stored artifact. */
export interface StoredLeaf {
  nonce: number;
  vector: Uint8Array;
}

export interface ArtifactStore {
  readonly stageHeight: number;
  readonly kDim: number;
  /** Number of artifacts appended (flushed or not). */
  readonly size: number;
  /** Perfect nodes read from disk (flushing buffered writes first). */
  readonly nodes: PerfectNodes;
  /** Appends the artifact of leaf `size`; buffered until flush() or the buffer fills. */
  append(nonce: number, vector: Uint8Array): void;
  /** Writes buffered records and nodes to the files (enough to survive kill -9). */
  flush(): void;
  /** flush() then fsync every file (enough to survive a power loss). */
  sync(): void;
  /** Root of the first `count` leaves (default: all of them), count >= 1. */
  root(count?: number): Uint8Array;
  leaf(index: number): StoredLeaf;
  /** RFC 9162 audit path of leaf `index` in the tree of the first `count` leaves. */
  proof(index: number, count: number): Uint8Array[];
  /** The audit paths of several leaves in the tree of the first `count` leaves (shared siblings read once). */
  proofs(indices: readonly number[], count: number): Uint8Array[][];
  /**
   * Records a snapshot before its commit is sent (after syncing the data it covers), so that it
   * is served even if the process dies before the chain answers; it must match the store.
   */
  markCommitted(snapshot: Snapshot): void;
  /** Marks a recorded snapshot as accepted by the chain; false if it is not recorded. */
  markConfirmed(snapshot: Snapshot): boolean;
  /** Whether (count, root) is a recorded snapshot. */
  holds(count: number, rootHash: Uint8Array): boolean;
  /** Recorded snapshots, oldest first. */
  committed(): readonly CommittedSnapshot[];
  /** The confirmed snapshot with the largest count: what the chain holds as the last commit. */
  latestConfirmed(): CommittedSnapshot | undefined;
  close(): void;
}

const metaSchema = z.strictObject({
  version: z.literal(1),
  stage_height: z.number().int().nonnegative(),
  k_dim: z.number().int().positive().max(4096),
});
const commitsSchema = z.array(
  z.strictObject({
    count: z.number().int().positive(),
    root_hash: z.string(),
    recorded_at: z.string(),
    confirmed: z.boolean().default(false),
  }),
);

const NONCE_BYTES = 8;
/** Levels from which nodes are cached (each covers at least 2^6 leaves). */
const CACHE_MIN_LEVEL = 6;
/** Cached nodes at most (2 MiB of hashes): memory stays bounded whatever the tree size. */
const CACHE_MAX_NODES = 65_536;
/** Records buffered before a write: bounds memory while keeping syscalls rare. */
const BUFFER_RECORDS = 8192;

/** An append-only file of fixed-size records, written with positioned writes. */
interface RecordFile {
  readonly fd: number;
  readonly recordSize: number;
  /** Records on disk plus records buffered. */
  length: number;
  /** Buffered records start at record index `length - pendingCount`. */
  pending: Buffer;
  pendingCount: number;
}

function openRecordFile(path: string, recordSize: number): RecordFile {
  const fd = openSync(path, existsSync(path) ? "r+" : "w+");
  const length = Math.floor(fstatSync(fd).size / recordSize);
  return { fd, recordSize, length, pending: Buffer.alloc(recordSize * BUFFER_RECORDS), pendingCount: 0 };
}

function flushRecords(file: RecordFile): void {
  if (file.pendingCount === 0) return;
  const bytes = file.pendingCount * file.recordSize;
  const position = (file.length - file.pendingCount) * file.recordSize;
  let written = 0;
  while (written < bytes) written += writeSync(file.fd, file.pending, written, bytes - written, position + written);
  file.pendingCount = 0;
}

function pushRecord(file: RecordFile, record: Uint8Array, offset = 0): void {
  if (file.pendingCount === BUFFER_RECORDS) flushRecords(file);
  file.pending.set(record, file.pendingCount * file.recordSize + offset);
  file.pendingCount++;
  file.length++;
}

function readRecord(file: RecordFile, index: number, out: Uint8Array): void {
  const position = index * file.recordSize;
  let read = 0;
  while (read < file.recordSize) {
    const n = readSync(file.fd, out, read, file.recordSize - read, position + read);
    if (n === 0) throw new RangeError(`record ${index} past the end of the file`);
    read += n;
  }
}

function truncateRecords(file: RecordFile, length: number): void {
  flushRecords(file);
  ftruncateSync(file.fd, length * file.recordSize);
  file.length = length;
}

/** Level l must hold floor(count / 2^l) nodes; levels above floor(log2 count) are empty. */
function levelsOf(count: number): number {
  return count < 1 ? 0 : Math.floor(Math.log2(count)) + 1;
}

/** An open store's files and state: the functions below share it. */
interface OpenStore {
  dir: string;
  stageHeight: number;
  kDim: number;
  vectorBytes: number;
  leaves: RecordFile;
  levels: RecordFile[];
  nodes: PerfectNodes;
  appender: MerkleAppender;
  commits: RecordedSnapshot[];
  closed: boolean;
  /** One leaf record, reused by every append. */
  leafRecord: Uint8Array;
  leafView: DataView;
}

/**
 * Opens (creating it if needed) the store of one stage in `dir`, repairing what a crash left:
 * a torn last record is cut off, node files are cut back to what the leaves support, and nodes
 * that never reached the disk are recomputed from the stored leaves.
 * @example const store = openArtifactStore({ dir: "data/stage-100", stageHeight: 100, kDim: 12 });
 */
export function openArtifactStore(opts: {
  dir: string;
  stageHeight: number;
  kDim: number;
  /** Told what opening repaired or dropped (structured log). */
  onRepair?: (event: string, fields: Record<string, unknown>) => void;
}): ArtifactStore {
  const onRepair = opts.onRepair ?? (() => {});
  const { dir, stageHeight } = opts;
  mkdirSync(dir, { recursive: true });
  const kDim = readOrWriteMeta(dir, stageHeight, opts.kDim);
  const vectorBytes = 2 * kDim;
  const leaves = openRecordFile(join(dir, "leaves.bin"), NONCE_BYTES + vectorBytes);
  const levels: RecordFile[] = [];
  const level = (l: number): RecordFile => levelFile(dir, levels, l);
  const nodes = cachedNodes(stageHeight, leaves, levels);
  // Existing level files beyond what we know of are opened too, so repair can cut them back.
  while (existsSync(join(dir, `level-${levels.length}.bin`))) level(levels.length);
  const appender = repair(stageHeight, leaves, levels, level, nodes, vectorBytes, onRepair);
  const commits = readCommits(dir, stageHeight, appender.size, nodes, onRepair);
  const leafRecord = new Uint8Array(NONCE_BYTES + vectorBytes);
  const store: OpenStore = {
    dir,
    stageHeight,
    kDim,
    vectorBytes,
    leaves,
    levels,
    nodes,
    appender,
    commits,
    closed: false,
    leafRecord,
    leafView: new DataView(leafRecord.buffer),
  };
  return {
    stageHeight,
    kDim,
    nodes,
    get size() {
      return appender.size;
    },
    append: (nonce, vector) => appendLeaf(store, nonce, vector),
    flush() {
      checkOpen(store);
      flushAll(store);
    },
    sync: () => syncAll(store),
    root: (count = appender.size) => rootOf(store, count),
    leaf: (index) => readLeaf(store, index),
    proof(index, count) {
      checkOpen(store);
      checkCount(store, count);
      return auditPath(nodes, index, count);
    },
    proofs(indices, count) {
      checkOpen(store);
      checkCount(store, count);
      return auditPaths(nodes, indices, count);
    },
    markCommitted: (snapshot) => markCommitted(store, snapshot),
    markConfirmed: (snapshot) => markConfirmed(store, snapshot),
    holds: (count, rootHash) => commits.some((c) => c.count === count && bytesEqual(c.rootHash, rootHash)),
    committed: () => commits.map((c) => ({ count: c.count, rootHash: c.rootHash.slice(), confirmed: c.confirmed })),
    latestConfirmed() {
      let best: RecordedSnapshot | undefined;
      for (const c of commits) if (c.confirmed && (!best || c.count > best.count)) best = c;
      return best && { count: best.count, rootHash: best.rootHash.slice(), confirmed: true };
    },
    close: () => closeStore(store),
  };
}

/** The node file of level l, opening the levels up to it. */
function levelFile(dir: string, levels: RecordFile[], l: number): RecordFile {
  while (levels.length <= l) levels.push(openRecordFile(join(dir, `level-${levels.length}.bin`), HASH_SIZE));
  return levels[l]!;
}

function flushAll(s: Pick<OpenStore, "leaves" | "levels">): void {
  flushRecords(s.leaves);
  for (const f of s.levels) flushRecords(f);
}

function dirty(s: Pick<OpenStore, "leaves" | "levels">): boolean {
  return s.leaves.pendingCount > 0 || s.levels.some((f) => f.pendingCount > 0);
}

/**
 * The perfect nodes, read from the level files. Upper-level nodes sit on nearly every audit path;
 * they never change once written, so a bounded cache of them saves most reads.
 */
function cachedNodes(stageHeight: number, leaves: RecordFile, levels: RecordFile[]): PerfectNodes {
  const cache = new Map<number, Uint8Array>();
  return {
    node(l, index) {
      const cacheable = l >= CACHE_MIN_LEVEL;
      const key = index * 64 + l;
      const hit = cacheable ? cache.get(key) : undefined;
      if (hit) return hit.slice();
      if (dirty({ leaves, levels })) flushAll({ leaves, levels });
      const file = levels[l];
      if (!file || index >= file.length) {
        throw new StoreError(stageHeight, `no perfect node at level ${l}, index ${index}`);
      }
      const out = new Uint8Array(HASH_SIZE);
      readRecord(file, index, out);
      if (cacheable) {
        if (cache.size >= CACHE_MAX_NODES) cache.clear();
        cache.set(key, out.slice());
      }
      return out;
    },
  };
}

function checkOpen(s: OpenStore): void {
  if (s.closed) throw new StoreError(s.stageHeight, "the store is closed");
}

function checkCount(s: OpenStore, count: number): void {
  if (!(Number.isSafeInteger(count) && count >= 1 && count <= s.appender.size)) {
    throw new StoreError(s.stageHeight, `count ${count} outside 1..${s.appender.size}`);
  }
}

function appendLeaf(s: OpenStore, nonce: number, vector: Uint8Array): void {
  checkOpen(s);
  if (vector.length !== s.vectorBytes) {
    throw new StoreError(
      s.stageHeight,
      `vector of ${vector.length} bytes, expected ${s.vectorBytes} (k_dim ${s.kDim})`,
    );
  }
  if (!(Number.isSafeInteger(nonce) && nonce >= 0)) throw new StoreError(s.stageHeight, `bad nonce ${nonce}`);
  // Two 32-bit halves: nonces are safe integers, and this path runs once per artifact.
  s.leafView.setUint32(0, nonce % 2 ** 32, true);
  s.leafView.setUint32(4, Math.floor(nonce / 2 ** 32), true);
  s.leafRecord.set(vector, NONCE_BYTES);
  pushRecord(s.leaves, s.leafRecord);
  for (const done of s.appender.append(leafHash(nonce, vector))) {
    pushRecord(levelFile(s.dir, s.levels, done.level), done.hash);
  }
}

function syncAll(s: OpenStore): void {
  checkOpen(s);
  flushAll(s);
  fsyncSync(s.leaves.fd);
  for (const f of s.levels) fsyncSync(f.fd);
}

function rootOf(s: OpenStore, count: number): Uint8Array {
  checkOpen(s);
  checkCount(s, count);
  return count === s.appender.size ? s.appender.root() : merkleRoot(s.nodes, count);
}

function readLeaf(s: OpenStore, index: number): StoredLeaf {
  checkOpen(s);
  if (!(Number.isSafeInteger(index) && index >= 0 && index < s.appender.size)) {
    throw new StoreError(s.stageHeight, `leaf ${index} outside 0..${s.appender.size - 1}`);
  }
  if (dirty(s)) flushAll(s);
  const record = new Uint8Array(s.leaves.recordSize);
  readRecord(s.leaves, index, record);
  const nonce = new DataView(record.buffer).getBigUint64(0, true);
  return { nonce: Number(nonce), vector: record.slice(NONCE_BYTES) };
}

function markCommitted(s: OpenStore, snapshot: Snapshot): void {
  checkOpen(s);
  checkCount(s, snapshot.count);
  if (!bytesEqual(rootOf(s, snapshot.count), snapshot.rootHash)) {
    throw new StoreError(s.stageHeight, `root of ${snapshot.count} leaves differs from the snapshot's`);
  }
  if (s.commits.some((c) => c.count === snapshot.count)) return;
  syncAll(s);
  s.commits.push({
    count: snapshot.count,
    rootHash: snapshot.rootHash.slice(),
    recordedAt: new Date().toISOString(),
    confirmed: false,
  });
  writeCommits(s.dir, s.commits);
}

function markConfirmed(s: OpenStore, snapshot: Snapshot): boolean {
  checkOpen(s);
  const found = s.commits.find((c) => c.count === snapshot.count && bytesEqual(c.rootHash, snapshot.rootHash));
  if (!found) return false;
  if (!found.confirmed) {
    found.confirmed = true;
    writeCommits(s.dir, s.commits);
  }
  return true;
}

function closeStore(s: OpenStore): void {
  if (s.closed) return;
  flushAll(s);
  s.closed = true;
  closeSync(s.leaves.fd);
  for (const f of s.levels) closeSync(f.fd);
}

function readOrWriteMeta(dir: string, stageHeight: number, kDim: number): number {
  const path = join(dir, "meta.json");
  if (!existsSync(path)) {
    const meta = { version: 1, stage_height: stageHeight, k_dim: kDim };
    metaSchema.parse(meta);
    writeFileSync(path, `${JSON.stringify(meta)}\n`);
    return kDim;
  }
  let parsed: z.infer<typeof metaSchema>;
  try {
    parsed = metaSchema.parse(JSON.parse(readFileSync(path, "utf8")));
  } catch (err) {
    throw new StoreError(stageHeight, `${path} is not a store description: ${(err as Error).message}`, { cause: err });
  }
  if (parsed.stage_height !== stageHeight) {
    throw new StoreError(stageHeight, `${path} belongs to stage ${parsed.stage_height}`);
  }
  if (parsed.k_dim !== kDim) {
    throw new StoreError(stageHeight, `${path} holds vectors of k_dim ${parsed.k_dim}, asked for ${kDim}`);
  }
  return parsed.k_dim;
}

/** The k_dim a store directory was created with, or undefined if there is no store there. */
export function storedKDim(dir: string): number | undefined {
  const path = join(dir, "meta.json");
  if (!existsSync(path)) return undefined;
  try {
    return metaSchema.parse(JSON.parse(readFileSync(path, "utf8"))).k_dim;
  } catch {
    return undefined;
  }
}

/**
 * Brings the files back to a consistent state and returns the appender positioned after the
 * last whole leaf. The largest count c every level file supports is kept; leaves c..n-1 are
 * re-hashed from the leaves file, rewriting the nodes they complete.
 */
function repair(
  stageHeight: number,
  leaves: RecordFile,
  levels: RecordFile[],
  level: (l: number) => RecordFile,
  nodes: PerfectNodes,
  vectorBytes: number,
  onRepair: (event: string, fields: Record<string, unknown>) => void,
): MerkleAppender {
  // A torn last record (a crash mid-write) is cut off.
  const bytes = fstatSync(leaves.fd).size;
  if (bytes !== leaves.length * leaves.recordSize) {
    onRepair("store_torn_record_cut", { stage_height: stageHeight, bytes, leaves: leaves.length });
    truncateRecords(leaves, leaves.length);
  }
  const n = leaves.length;
  let supported = n;
  for (let l = 0; l < levelsOf(n); l++) {
    const have = levels[l]?.length ?? 0;
    supported = Math.min(supported, (have + 1) * 2 ** l - 1);
  }
  for (let l = 0; l < levels.length; l++) {
    const want = Math.floor(supported / 2 ** l);
    const file = levels[l]!;
    if (file.length !== want || fstatSync(file.fd).size !== want * HASH_SIZE) truncateRecords(file, want);
  }
  const appender = supported > 0 ? createAppender({ size: supported, nodes }) : createAppender();
  if (supported < n) {
    onRepair("store_nodes_rebuilt", { stage_height: stageHeight, from_leaf: supported, leaves: n });
    const record = new Uint8Array(leaves.recordSize);
    const view = new DataView(record.buffer);
    for (let i = supported; i < n; i++) {
      readRecord(leaves, i, record);
      const nonce = Number(view.getBigUint64(0, true));
      const vector = record.subarray(NONCE_BYTES, NONCE_BYTES + vectorBytes);
      for (const done of appender.append(leafHash(nonce, vector))) pushRecord(level(done.level), done.hash);
    }
    for (const f of levels) flushRecords(f);
  }
  if (appender.size !== n) throw new StoreError(stageHeight, `repair reached ${appender.size} leaves, expected ${n}`);
  return appender;
}

interface RecordedSnapshot extends CommittedSnapshot {
  recordedAt: string;
}

function readCommits(
  dir: string,
  stageHeight: number,
  size: number,
  nodes: PerfectNodes,
  onRepair: (event: string, fields: Record<string, unknown>) => void,
): RecordedSnapshot[] {
  const path = join(dir, "commits.json");
  if (!existsSync(path)) return [];
  let parsed: z.infer<typeof commitsSchema>;
  try {
    parsed = commitsSchema.parse(JSON.parse(readFileSync(path, "utf8")));
  } catch (err) {
    throw new StoreError(stageHeight, `${path} is not a list of snapshots: ${(err as Error).message}`, { cause: err });
  }
  const out: RecordedSnapshot[] = [];
  for (const [i, c] of parsed.entries()) {
    let rootHash: Uint8Array;
    try {
      rootHash = fromBase64(c.root_hash, `${path}[${i}].root_hash`);
    } catch (err) {
      throw new StoreError(stageHeight, (err as Error).message, { cause: err });
    }
    // A snapshot the leaves no longer back (lost data) must not be served as if it were held.
    if (c.count > size || !bytesEqual(merkleRoot(nodes, c.count), rootHash)) {
      onRepair("store_snapshot_dropped", { stage_height: stageHeight, count: c.count, leaves: size });
      continue;
    }
    out.push({ count: c.count, rootHash, recordedAt: c.recorded_at, confirmed: c.confirmed });
  }
  return out;
}

function writeCommits(dir: string, commits: readonly RecordedSnapshot[]): void {
  const path = join(dir, "commits.json");
  const body = commits.map((c) => ({
    count: c.count,
    root_hash: toBase64(c.rootHash),
    recorded_at: c.recordedAt,
    confirmed: c.confirmed,
  }));
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, `${JSON.stringify(body)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
