import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  auditPath,
  auditPaths,
  buildLevels,
  consistencyProof,
  createAppender,
  HASH_SIZE,
  leafHash,
  levelNodes,
  merkleRoot,
  type PerfectNodes,
  sha256,
  toBase64,
  toHex,
  verifyConsistency,
  verifyInclusion,
} from "../../src/core/index.js";

function treeOf(leaves: Uint8Array[]): PerfectNodes {
  const flat = new Uint8Array(leaves.length * HASH_SIZE);
  for (const [i, l] of leaves.entries()) flat.set(l, i * HASH_SIZE);
  return levelNodes(buildLevels(flat));
}

// Leaf i holds nonce i and a 24-byte vector filled with byte i.
const literalLeaves = Array.from({ length: 7 }, (_, i) => leafHash(i, new Uint8Array(24).fill(i)));

function flip(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[bit >> 3]! ^= 1 << (bit & 7);
  return copy;
}

describe("Merkle tree (RFC 9162 over docs/protocol.md leaves)", () => {
  it("matches roots and audit paths computed independently (Python hashlib)", () => {
    const tree = treeOf(literalLeaves);
    expect(toHex(merkleRoot(tree, 1))).toBe("7f9c9e31ac8256ca2f258583df262dbc7d6f68f2a03043d5c99a4ae5a7396ce9");
    expect(toHex(merkleRoot(tree, 2))).toBe("8a9152ff37a95ab1290fc0f6715cf321687755524f596823811ef1664f2a3615");
    expect(toHex(merkleRoot(tree, 7))).toBe("92857ffbe864df4628e1e8526785cf0c6ba8e26f2932b252fb94b03582b8f5de");
    expect(toBase64(merkleRoot(tree, 7))).toBe("koV/++hk30Yo4ehSZ4XPDGuo4m8pMrJS+5SwNYK49d4=");
    expect(auditPath(tree, 5, 7).map(toHex)).toEqual([
      "855529742cf4feabc745dfcfe18cd390d9aee50d3cc6b5d1fc340b09fdcf40fc",
      "7744894c3885c1cd5797ffa15e6918ef70eef3e5b473281dbbc2e706fdde3545",
      "2e324bf7809840f8014208b79cea5c81c5944d31cfaf8e34b6169fa0c2e02aff",
    ]);
  });

  it("hashes a nonce the same whether given as a number or a bigint, up to 2^53", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.uint8Array({ maxLength: 24 }),
        (nonce, v) => {
          expect(toHex(leafHash(nonce, v))).toBe(toHex(leafHash(BigInt(nonce), v)));
        },
      ),
    );
    // 2^32 + 5 as u64 little endian: 05 00 00 00 01 00 00 00.
    expect(toHex(leafHash(2 ** 32 + 5, new Uint8Array()))).toBe(
      toHex(sha256(Uint8Array.from([0, 5, 0, 0, 0, 1, 0, 0, 0]))),
    );
  });

  it("the appender gives the same root as the tree, also when resumed from stored nodes", () => {
    const leaves = Array.from({ length: 37 }, (_, i) => leafHash(i, new Uint8Array(24).fill(i * 7)));
    const tree = treeOf(leaves);
    const appender = createAppender();
    for (let n = 1; n <= leaves.length; n++) {
      appender.append(leaves[n - 1]!);
      expect(toHex(appender.root())).toBe(toHex(merkleRoot(tree, n)));
      const resumed = createAppender({ size: n, nodes: tree });
      expect(toHex(resumed.root())).toBe(toHex(merkleRoot(tree, n)));
    }
    const resumed = createAppender({ size: 10, nodes: tree });
    for (const leaf of leaves.slice(10)) resumed.append(leaf);
    expect(toHex(resumed.root())).toBe(toHex(merkleRoot(tree, leaves.length)));
  });

  it("reports every perfect node as it completes, at its level and index", () => {
    const leaves = Array.from({ length: 8 }, (_, i) => leafHash(i, new Uint8Array(4)));
    const tree = treeOf(leaves);
    const appender = createAppender();
    const completed = leaves.flatMap((l) => appender.append(l));
    expect(completed.map((c) => `${c.level}:${c.index}`)).toEqual([
      "0:0",
      "0:1",
      "1:0",
      "0:2",
      "0:3",
      "1:1",
      "2:0",
      "0:4",
      "0:5",
      "1:2",
      "0:6",
      "0:7",
      "1:3",
      "2:1",
      "3:0",
    ]);
    for (const c of completed) expect(toHex(c.hash)).toBe(toHex(tree.node(c.level, c.index)));
  });

  it("refuses the empty tree and out-of-range indices", () => {
    expect(() => createAppender().root()).toThrow(/empty tree/);
    expect(() => auditPath(treeOf(literalLeaves), 7, 7)).toThrow(/outside tree/);
    expect(verifyInclusion(literalLeaves[0]!, 7, 7, [], merkleRoot(treeOf(literalLeaves), 7))).toBe(false);
  });

  const randomTree = fc
    .integer({ min: 1, max: 70 })
    .chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 1, max: n })));

  it("every audit path of a random tree verifies, and any flipped bit in leaf, path or root fails it", () => {
    fc.assert(
      fc.property(randomTree, fc.nat(), ([n, index], bitSeed) => {
        const leaves = Array.from({ length: n }, (_, i) => leafHash(i, new Uint8Array(24).fill((i * 31) & 0xff)));
        const tree = treeOf(leaves);
        const root = merkleRoot(tree, n);
        const path = auditPath(tree, index, n);
        expect(verifyInclusion(leaves[index]!, index, n, path, root)).toBe(true);
        expect(verifyInclusion(flip(leaves[index]!, bitSeed % 256), index, n, path, root)).toBe(false);
        expect(verifyInclusion(leaves[index]!, index, n, path, flip(root, bitSeed % 256))).toBe(false);
        if (path.length > 0) {
          const which = bitSeed % path.length;
          const bad = path.map((p, i) => (i === which ? flip(p, (bitSeed >> 3) % 256) : p));
          expect(verifyInclusion(leaves[index]!, index, n, bad, root)).toBe(false);
          // A path for another tree size or a truncated path fails too.
          expect(verifyInclusion(leaves[index]!, index, n, path.slice(1), root)).toBe(false);
        }
        if (n > 1) expect(verifyInclusion(leaves[index]!, (index + 1) % n, n, path, root)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it("consistency proofs between any two sizes verify, and fail for a wrong root", () => {
    fc.assert(
      fc.property(randomTree, fc.nat(), ([n, , m], bitSeed) => {
        const leaves = Array.from({ length: n }, (_, i) => leafHash(i, new Uint8Array(24).fill(i & 0xff)));
        const tree = treeOf(leaves);
        const oldRoot = merkleRoot(tree, m);
        const newRoot = merkleRoot(tree, n);
        const proof = consistencyProof(tree, m, n);
        expect(verifyConsistency(m, n, oldRoot, newRoot, proof)).toBe(true);
        expect(verifyConsistency(m, n, flip(oldRoot, bitSeed % 256), newRoot, proof)).toBe(false);
        expect(verifyConsistency(m, n, oldRoot, flip(newRoot, bitSeed % 256), proof)).toBe(false);
        if (proof.length > 0) {
          const bad = proof.map((p, i) => (i === bitSeed % proof.length ? flip(p, bitSeed % 256) : p));
          expect(verifyConsistency(m, n, oldRoot, newRoot, bad)).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("auditPaths of a batch equals each leaf's auditPath, for every count of a random tree (property)", () => {
    fc.assert(
      fc.property(randomTree, fc.array(fc.nat(), { minLength: 1, maxLength: 12 }), ([n, , count], picks) => {
        const leaves = Array.from({ length: n }, (_, i) => leafHash(i, new Uint8Array(24).fill((i * 7) & 0xff)));
        const tree = treeOf(leaves);
        const indices = picks.map((p) => p % count);
        const batch = auditPaths(tree, indices, count);
        expect(batch.map((p) => p.map(toHex))).toEqual(indices.map((i) => auditPath(tree, i, count).map(toHex)));
        // Each path is its own copy: changing one leaves the others as they were.
        if (batch.length > 1 && batch[0]!.length > 0) {
          batch[0]![0]!.fill(0);
          expect(batch[1]!.map(toHex)).toEqual(auditPath(tree, indices[1]!, count).map(toHex));
        }
      }),
      { numRuns: 200 },
    );
    expect(() => auditPaths(treeOf(literalLeaves), [0, 7], 7)).toThrow(/outside tree/);
  });
});
