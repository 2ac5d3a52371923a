import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DatasetError, loadDataset, parseServerFile } from "../../src/analysis/index.js";
import { vectorFromBase64, vectorToBase64 } from "../../src/core/index.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "pocval-dataset-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const v = (x: number): number[] => [x, 0.5, -0.25];

function serverFile(name: string, nonces: number[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    server_name: name,
    server_url: "http://127.0.0.1:1",
    block_hash: "ab".repeat(32),
    public_key: "pk",
    nonces,
    artifacts: nonces.map((n) => ({ nonce: n, vector_b64: vectorToBase64(v(n / 8)) })),
    vectors: nonces.map((n) => v(n / 8)),
    encoding: { dtype: "f16", k_dim: 3, endian: "le" },
    ...extra,
  };
}

async function put(name: string, value: unknown): Promise<void> {
  await writeFile(join(dir, name), typeof value === "string" ? value : JSON.stringify(value));
}

describe("parseServerFile", () => {
  it("takes vectors[i] for nonces[i] and falls back to the artifact when a vector is null", () => {
    const file = serverFile("a", [0, 1, 2], { vectors: [v(0), null, v(0.25)] });
    const { server, kDim, warnings } = parseServerFile(file, "a.json");
    expect(kDim).toBe(3);
    expect(server.name).toBe("a");
    expect(Array.from(server.vectors.get(1)!)).toEqual(v(1 / 8));
    expect(server.inputs).toBe(`${"ab".repeat(32)}/pk`);
    expect(warnings).toEqual([]);
  });

  it("decodes artifacts alone and infers k_dim from the bytes", () => {
    const { artifacts } = serverFile("b", [4, 5]);
    const { server, kDim } = parseServerFile({ artifacts }, "dir/b.json");
    expect(kDim).toBe(3);
    expect(server.name).toBe("b");
    expect(server.nonces).toEqual([4, 5]);
  });

  it("warns about nonces without any vector, repeated nonces and stray artifacts", () => {
    const file = serverFile("c", [0, 1, 1, 2], {
      vectors: [v(0), null, v(0), null],
      artifacts: [
        { nonce: 0, vector_b64: vectorToBase64(v(0)) },
        { nonce: 9, vector_b64: vectorToBase64(v(0)) },
      ],
    });
    const { server, warnings } = parseServerFile(file, "c.json");
    expect(server.vectors.size).toBe(1);
    expect(warnings.join("\n")).toMatch(/c \(c\.json\): 2 of 3 nonces have no vector/);
    expect(warnings.join("\n")).toMatch(/1 repeated nonces/);
    expect(warnings.join("\n")).toMatch(/1 artifacts for nonces not in `nonces`/);
  });

  it("refuses malformed files naming the file and the field", () => {
    expect(() => parseServerFile({ nonces: [0, "x"] }, "m.json")).toThrow(/m\.json: nonces\[1\]/);
    expect(() => parseServerFile(serverFile("m", [0, 1], { vectors: [v(0)] }), "m.json")).toThrow(
      /m\.json: vectors: has 1 entries but nonces has 2/,
    );
    expect(() => parseServerFile(serverFile("m", [0], { vectors: [[1, 2]] }), "m.json")).toThrow(
      /vectors\[0\]: has 2 values, expected k_dim 3/,
    );
    expect(() => parseServerFile({ artifacts: [{ nonce: 0, vector_b64: "not base64!" }] }, "m.json")).toThrow(
      /m\.json: artifacts\[nonce 0\]\.vector_b64: not standard padded base64/,
    );
    expect(() => parseServerFile({ vectors: [[1]] }, "m.json")).toThrow(/nonces: required/);
    expect(() => parseServerFile([], "m.json")).toThrow(DatasetError);
  });

  it("reads back any f16 vector written as vector_b64 exactly", () => {
    fc.assert(
      fc.property(fc.array(fc.float({ min: -1, max: 1, noNaN: true }), { minLength: 1, maxLength: 16 }), (xs) => {
        const b64 = vectorToBase64(xs);
        const { server } = parseServerFile({ artifacts: [{ nonce: 7, vector_b64: b64 }] }, "p.json");
        expect(Array.from(server.vectors.get(7)!)).toEqual(Array.from(vectorFromBase64(b64, xs.length)));
      }),
    );
  });
});

describe("loadDataset", () => {
  it("reads config.json and every server file, warning about differing nonce lists", async () => {
    await put("config.json", {
      model: "m",
      seq_len: 8,
      k_dim: 3,
      block_hash: "ab".repeat(32),
      public_key: "pk",
      block_height: 1,
      batch_size: 2,
      nonce_count: 4,
      servers: { a: "http://127.0.0.1:1", b: "http://127.0.0.1:2" },
    });
    await put("a.json", serverFile("a", [0, 1, 2, 3]));
    await put("b.json", serverFile("b", [0, 1, 2]));
    await put("notes.txt", "ignored");
    const d = await loadDataset(dir);
    expect(d.servers.map((s) => s.name)).toEqual(["a", "b"]);
    expect(d.kDim).toBe(3);
    expect(d.config?.model).toBe("m");
    expect(d.warnings).toEqual([expect.stringMatching(/^b \(b\.json\): its nonce list lacks 1 of the 4 nonces/)]);
  });

  it("refuses a malformed file naming it", async () => {
    await put("a.json", serverFile("a", [0]));
    await put("broken.json", "{ not json");
    await expect(loadDataset(dir)).rejects.toThrow(/broken\.json: not valid JSON/);
  });

  it("refuses a bad config naming the field, and two files claiming one server", async () => {
    await put("config.json", { model: "m" });
    await expect(loadDataset(dir)).rejects.toThrow(/config\.json: seq_len/);
    await rm(join(dir, "config.json"));
    await put("a.json", serverFile("same", [0]));
    await put("b.json", serverFile("same", [0]));
    await expect(loadDataset(dir)).rejects.toThrow(/b\.json: server_name: "same" is also the name in/);
  });

  it("refuses files that disagree on k_dim and a directory with fewer than two servers", async () => {
    await put("a.json", serverFile("a", [0]));
    await expect(loadDataset(dir)).rejects.toThrow(
      /needs server files of at least two servers to compare, found 1 \(a: a\.json\)/,
    );
    await put("b.json", { nonces: [0], vectors: [[1, 2]], encoding: { k_dim: 2 } });
    await expect(loadDataset(dir)).rejects.toThrow(/b\.json: encoding\.k_dim: is 2 but the other files use 3/);
    await expect(loadDataset(join(dir, "missing"))).rejects.toThrow(/cannot read the data directory/);
  });
});
