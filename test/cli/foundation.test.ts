import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { vectorToBase64 } from "../../src/core/index.js";
import { runCli } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "pocval-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const artifacts = join(dir, "artifacts.jsonl");
// Leaves 0..6 with vectors of twelve values i/10, as JSONL in leaf order.
writeFileSync(
  artifacts,
  Array.from({ length: 7 }, (_, i) =>
    JSON.stringify({ nonce: i, vector_b64: vectorToBase64(new Array(12).fill(i / 10)) }),
  )
    .join("\n")
    .concat("\n"),
);

describe("pocval stats", () => {
  it("binom prints the one-sided p-value", () => {
    const r = runCli(["stats", "binom", "--k", "35", "--n", "2000", "--p", "0.02"]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).p_value).toBeCloseTo(0.8086979246461842, 12);
  });

  it("power prints k_crit, power and the false-positive rate", () => {
    const r = runCli(["stats", "power", "--n", "200", "--fp-rate", "0.02", "--alpha", "0.05", "--rate", "0.04"]);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.k_crit).toBe(8);
    expect(out.power).toBeCloseTo(0.5498957078603384, 9);
    expect(out.false_positive_rate).toBeCloseTo(0.049335054944824625, 12);
  });

  it("names a missing or malformed flag and exits non-zero", () => {
    const missing = runCli(["stats", "binom", "--k", "3", "--p", "0.1"]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("missing required flag --n");
    const bad = runCli(["stats", "binom", "--k", "three", "--n", "10", "--p", "0.1"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--k must be an integer, got "three"');
    const unknown = runCli(["stats", "binom", "--k", "1", "--n", "10", "--p", "0.1", "--bogus", "1"]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/bogus/);
    const range = runCli(["stats", "binom", "--k", "11", "--n", "10", "--p", "0.1"]);
    expect(range.stderr).toContain("--k must be <= 10");
  });
});

describe("pocval merkle", () => {
  it("root, prove and verify agree", () => {
    const root = runCli(["merkle", "root", "--artifacts", artifacts]);
    expect(root.status).toBe(0);
    const { count, root_hash } = JSON.parse(root.stdout);
    expect(count).toBe(7);
    const proof = runCli(["merkle", "prove", "--artifacts", artifacts, "--index", "5"]);
    expect(proof.status).toBe(0);
    const parsed = JSON.parse(proof.stdout);
    expect(parsed.leaf_index).toBe(5);
    expect(parsed.nonce).toBe(5);
    expect(parsed.audit_path).toHaveLength(3);
    const proofFile = join(dir, "proof.json");
    writeFileSync(proofFile, proof.stdout);
    const ok = runCli(["merkle", "verify", "--root-hash", root_hash, "--count", "7", "--proof", proofFile]);
    expect(JSON.parse(ok.stdout)).toEqual({ valid: true });
    const wrongCount = runCli(["merkle", "verify", "--root-hash", root_hash, "--count", "9", "--proof", proofFile]);
    expect(JSON.parse(wrongCount.stdout)).toEqual({ valid: false });
    writeFileSync(proofFile, JSON.stringify({ ...parsed, vector_b64: vectorToBase64(new Array(12).fill(0.4)) }));
    const tampered = runCli(["merkle", "verify", "--root-hash", root_hash, "--count", "7", "--proof", proofFile]);
    expect(JSON.parse(tampered.stdout)).toEqual({ valid: false });
  });

  it("names the line of a bad artifacts file and exits 2 (bad input)", () => {
    const bad = join(dir, "bad.jsonl");
    writeFileSync(
      bad,
      `${JSON.stringify({ nonce: 0, vector_b64: vectorToBase64(new Array(12).fill(0)) })}\n{"nonce": 1, "vector_b64": "AAAA"}\n`,
    );
    const r = runCli(["merkle", "root", "--artifacts", bad]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${bad}:2: vector_b64: expected 24 bytes`);
    writeFileSync(bad, "{not json\n");
    expect(runCli(["merkle", "root", "--artifacts", bad]).stderr).toContain(`${bad}:1: not valid JSON`);
    writeFileSync(bad, '{"nonce": -1, "vector_b64": "AAAA"}\n');
    expect(runCli(["merkle", "root", "--artifacts", bad]).stderr).toMatch(/:1: nonce:/);
    const missing = runCli(["merkle", "root", "--artifacts", join(dir, "nope.jsonl")]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("cannot read artifacts file");
  });
});

describe("pocval sample", () => {
  it("prints the docs/protocol.md sample", () => {
    const r = runCli([
      "sample",
      "--stage-height",
      "42",
      "--sampling-block-hash",
      "ab".repeat(32),
      "--validator",
      "pocval1validator",
      "--participant",
      "pocval1participant",
      "--count",
      "1000",
      "--size",
      "10",
    ]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ indices: [338, 298, 475, 855, 697, 86, 306, 681, 761, 100] });
  });

  it("rejects a short block hash naming the flag", () => {
    const r = runCli([
      "sample",
      "--stage-height",
      "1",
      "--sampling-block-hash",
      "abcd",
      "--validator",
      "a",
      "--participant",
      "b",
      "--count",
      "10",
      "--size",
      "2",
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--sampling-block-hash: expected 32 bytes");
  });
});
