// The artifact Merkle tree of docs/protocol.md: leaf and node hashes, roots, proofs and their
// verification. Pure: no I/O.
import { bytesEqual, u64le } from "./encoding.js";
import { sha256 } from "./hash.js";

/** Size of every hash in the tree. */
export const HASH_SIZE = 32;

/** Leaf hash of docs/protocol.md: SHA-256(0x00 || u64_le(nonce) || vector_bytes). */
export function leafHash(nonce: bigint | number, vectorBytes: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + 8 + vectorBytes.length);
  if (typeof nonce === "number" && Number.isSafeInteger(nonce) && nonce >= 0) {
    // The hot path (one call per artifact): two u32 writes instead of a BigInt conversion.
    const view = new DataView(input.buffer);
    view.setUint32(1, nonce % 2 ** 32, true);
    view.setUint32(5, Math.floor(nonce / 2 ** 32), true);
  } else {
    input.set(u64le(nonce), 1);
  }
  input.set(vectorBytes, 9);
  return sha256(input);
}

/** Interior node of RFC 9162: SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + 2 * HASH_SIZE);
  input[0] = 1;
  input.set(left, 1);
  input.set(right, 1 + HASH_SIZE);
  return sha256(input);
}

/**
 * Roots of the perfect, aligned subtrees of a tree: node(level, index) is the root of leaves
 * [index * 2^level, (index + 1) * 2^level). Level 0 holds the leaf hashes. A store may keep
 * these on disk; every proof below needs only O(log n) of them.
 */
export interface PerfectNodes {
  node(level: number, index: number): Uint8Array;
}

/** Largest power of two strictly smaller than n (n >= 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

// Sizes may exceed 2^31, so no bit tricks; powers of two are exact doubles.
function isPowerOfTwo(n: number): boolean {
  return n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

/** RFC 9162 Merkle Tree Hash of leaves [start, end), start < end. */
export function subtreeRoot(nodes: PerfectNodes, start: number, end: number): Uint8Array {
  const size = end - start;
  if (size <= 0) throw new RangeError(`subtreeRoot: empty range [${start}, ${end})`);
  if (isPowerOfTwo(size) && start % size === 0) return nodes.node(Math.log2(size), start / size);
  const k = splitPoint(size);
  return nodeHash(subtreeRoot(nodes, start, start + k), subtreeRoot(nodes, start + k, end));
}

/** Merkle Tree Hash of the first `size` leaves (size >= 1: the empty tree is not committable). */
export function merkleRoot(nodes: PerfectNodes, size: number): Uint8Array {
  return subtreeRoot(nodes, 0, size);
}

/** RFC 9162 audit path (bottom-up) for leaf `index` in the tree of the first `size` leaves. */
export function auditPath(nodes: PerfectNodes, index: number, size: number): Uint8Array[] {
  return pathOf((start, end) => subtreeRoot(nodes, start, end), index, size);
}

/**
 * The audit paths of several leaves of one tree, equal to `indices.map((i) => auditPath(nodes, i,
 * size))`: every sibling subtree root is computed once for the batch (the upper siblings and the
 * right edge of a tree whose size is not a power of two are on nearly every path).
 */
export function auditPaths(nodes: PerfectNodes, indices: readonly number[], size: number): Uint8Array[][] {
  const roots = new Map<number, Uint8Array>();
  // Both ends are below 2^53 and start < end <= size, so start * (size + 1) + end is exact and unique.
  const root = (start: number, end: number): Uint8Array => {
    const key = start * (size + 1) + end;
    let hit = roots.get(key);
    if (hit === undefined) {
      hit = subtreeRoot(nodes, start, end);
      roots.set(key, hit);
    }
    return hit.slice();
  };
  return indices.map((index) => pathOf(root, index, size));
}

function pathOf(root: (start: number, end: number) => Uint8Array, index: number, size: number): Uint8Array[] {
  if (!(index >= 0 && index < size)) throw new RangeError(`auditPath: index ${index} outside tree of size ${size}`);
  const path: Uint8Array[] = [];
  const walk = (start: number, end: number, m: number): void => {
    if (end - start === 1) return;
    const k = splitPoint(end - start);
    if (m < k) {
      walk(start, start + k, m);
      path.push(root(start + k, end));
    } else {
      walk(start + k, end, m - k);
      path.push(root(start, start + k));
    }
  };
  walk(0, size, index);
  return path;
}

/**
 * Verifies an inclusion proof (RFC 9162 section 2.1.3.2).
 * @example verifyInclusion(leafHash(3n, v), 3, 10, path, root) // true
 */
export function verifyInclusion(
  leaf: Uint8Array,
  index: number,
  size: number,
  path: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size) && index >= 0 && index < size)) return false;
  if (root.length !== HASH_SIZE || leaf.length !== HASH_SIZE) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (p.length !== HASH_SIZE || sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && bytesEqual(r, root);
}

/** RFC 9162 consistency proof between the trees of the first `oldSize` and `newSize` leaves. */
export function consistencyProof(nodes: PerfectNodes, oldSize: number, newSize: number): Uint8Array[] {
  if (!(oldSize >= 1 && oldSize <= newSize)) {
    throw new RangeError(`consistencyProof: need 1 <= oldSize (${oldSize}) <= newSize (${newSize})`);
  }
  const proof: Uint8Array[] = [];
  const sub = (m: number, start: number, end: number, complete: boolean): void => {
    const n = end - start;
    if (m === n) {
      if (!complete) proof.push(subtreeRoot(nodes, start, end));
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      sub(m, start, start + k, complete);
      proof.push(subtreeRoot(nodes, start + k, end));
    } else {
      sub(m - k, start + k, end, false);
      proof.push(subtreeRoot(nodes, start, start + k));
    }
  };
  if (oldSize < newSize) sub(oldSize, 0, newSize, true);
  return proof;
}

/** Verifies a consistency proof (RFC 9162 section 2.1.4.2). */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!(Number.isSafeInteger(oldSize) && Number.isSafeInteger(newSize) && oldSize >= 1 && oldSize <= newSize)) {
    return false;
  }
  if (oldSize === newSize) return proof.length === 0 && bytesEqual(oldRoot, newRoot);
  if (proof.length === 0) return false;
  let path = [...proof];
  if (path.some((p) => p.length !== HASH_SIZE)) return false;
  if (isPowerOfTwo(oldSize)) path = [oldRoot, ...path];
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && bytesEqual(fr, oldRoot) && bytesEqual(sr, newRoot);
}

/**
 * Every perfect node of a tree held in memory: levels[l] concatenates the 32-byte roots of the
 * complete 2^l-leaf blocks. Built bottom-up with one SHA-256 per interior node.
 */
export function buildLevels(leafHashes: Uint8Array): Uint8Array[] {
  if (leafHashes.length % HASH_SIZE !== 0) throw new RangeError("buildLevels: leaf hashes not a multiple of 32 bytes");
  const levels = [leafHashes];
  const input = new Uint8Array(1 + 2 * HASH_SIZE);
  input[0] = 1;
  let below = leafHashes;
  while (below.length >= 2 * HASH_SIZE) {
    const pairs = Math.floor(below.length / (2 * HASH_SIZE));
    const level = new Uint8Array(pairs * HASH_SIZE);
    for (let i = 0; i < pairs; i++) {
      input.set(below.subarray(2 * i * HASH_SIZE, (2 * i + 2) * HASH_SIZE), 1);
      level.set(sha256(input), i * HASH_SIZE);
    }
    levels.push(level);
    below = level;
  }
  return levels;
}

/** PerfectNodes over levels built in memory by buildLevels. */
export function levelNodes(levels: readonly Uint8Array[]): PerfectNodes {
  return {
    node(level, index) {
      const bytes = levels[level];
      const start = index * HASH_SIZE;
      if (!bytes || start + HASH_SIZE > bytes.length) {
        throw new RangeError(`no perfect node at level ${level}, index ${index}`);
      }
      return bytes.subarray(start, start + HASH_SIZE);
    },
  };
}

/** A perfect node completed while appending leaves: persist it to serve proofs later. */
export interface CompletedNode {
  level: number;
  index: number;
  hash: Uint8Array;
}

/**
 * Appends leaves one at a time keeping O(log n) state (the roots of the perfect subtrees on the
 * right edge); reports each perfect node as it completes so a disk store can keep them.
 */
export interface MerkleAppender {
  readonly size: number;
  append(leaf: Uint8Array): CompletedNode[];
  root(): Uint8Array;
}

/**
 * A MerkleAppender starting from an empty tree, or resuming a tree of `from.size` leaves whose
 * perfect nodes a store kept (only the O(log n) right-edge roots are read).
 */
export function createAppender(from?: { size: number; nodes: PerfectNodes }): MerkleAppender {
  // stack[i] is the root of a perfect subtree, sizes strictly decreasing from bottom to top.
  const stack: { level: number; hash: Uint8Array }[] = [];
  let size = 0;
  if (from) {
    // The right edge of a tree of n leaves is one perfect subtree per set bit of n, largest first.
    for (let level = Math.floor(Math.log2(Math.max(from.size, 1))); level >= 0; level--) {
      const block = 2 ** level;
      if (Math.floor(from.size / block) % 2 === 1) {
        stack.push({ level, hash: from.nodes.node(level, Math.floor(size / block)) });
        size += block;
      }
    }
  }
  return {
    get size() {
      return size;
    },
    append(leaf) {
      if (leaf.length !== HASH_SIZE) throw new RangeError("append: leaf hash must be 32 bytes");
      const completed: CompletedNode[] = [{ level: 0, index: size, hash: leaf }];
      let top = { level: 0, hash: leaf };
      size++;
      while (stack.length > 0 && stack[stack.length - 1]!.level === top.level) {
        const left = stack.pop()!;
        top = { level: top.level + 1, hash: nodeHash(left.hash, top.hash) };
        completed.push({ level: top.level, index: size / 2 ** top.level - 1, hash: top.hash });
      }
      stack.push(top);
      return completed;
    },
    root() {
      if (stack.length === 0) throw new RangeError("root: the empty tree is not committable");
      let r = stack[stack.length - 1]!.hash;
      for (let i = stack.length - 2; i >= 0; i--) r = nodeHash(stack[i]!.hash, r);
      return r;
    },
  };
}
