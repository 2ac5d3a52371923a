// A data folder written the way the vLLM fork's collect_data.py writes one (docs/protocol.md,
// "Data collection format"): arbitrary seed strings, two block hashes x one public key (so
// `<server>_<block_hash>_<public_key>.json`), extra config keys, one server that failed on
// every seed (error files), and a null `vectors` entry. The vectors are 2-D and come from an
// integer hash that test/analysis/real-folder.py mirrors, so every figure can be recomputed
// with numpy and scipy.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { vectorToBase64 } from "../../src/core/index.js";

export const BLOCK_HASHES = ["TEST_BLOCK_HsdcASH_123sdcsdc", "asdcdsc"];
export const PUBLIC_KEYS = ["test_nodesdcdcd"];
export const NONCES = 300;

function h32(x: number): number {
  let v = x >>> 0;
  v = Math.imul(v ^ (v >>> 16), 0x45d9f3b) >>> 0;
  v = Math.imul(v ^ (v >>> 16), 0x45d9f3b) >>> 0;
  return (v ^ (v >>> 16)) >>> 0;
}
const noise = (server: number, seed: number, n: number, comp: number): number =>
  h32((server * 4 + seed) * 65536 + n * 2 + comp) / 4294967296 - 0.5;

/** The servers' vectors: H200_FP8 and H100_FP8 bit-identical, B200 noisier, INT4 far away. */
export function realVector(server: string, seed: number, n: number): number[] {
  switch (server) {
    case "H200_FP8":
    case "H100_FP8":
      return [0.1 * noise(1, seed, n, 0), 0.1 * noise(1, seed, n, 1)];
    case "B200_FP8":
      return [0.13 * noise(2, seed, n, 0), 0.13 * noise(2, seed, n, 1)];
    case "H200_FP8_FLASHINFER":
      return [0.1 * noise(3, seed, n, 0), 0.1 * noise(3, seed, n, 1)];
    case "H200_GPTQ-INT4":
      return [0.5 + 0.1 * noise(4, seed, n, 0), 0.1 * noise(4, seed, n, 1)];
    default:
      throw new Error(`no such server ${server}`);
  }
}

export const SERVERS = ["H200_FP8_FLASHINFER", "H200_FP8", "H100_FP8", "B200_FP8", "H200_GPTQ-INT4"];
export const FAILED_SERVER = "H100_FP8_tp4_pp2";

/** Writes the folder; returns the error files' names. */
export async function writeRealFolder(dir: string): Promise<string[]> {
  const servers = Object.fromEntries([...SERVERS, FAILED_SERVER].map((s, i) => [s, `http://10.0.0.${i + 1}:8000`]));
  await writeFile(
    join(dir, "config.json"),
    JSON.stringify(
      {
        model: "Qwen/Qwen3-235B-A22B-FP8",
        seq_len: 8000,
        k_dim: 2,
        block_hashes: BLOCK_HASHES,
        public_keys: PUBLIC_KEYS,
        block_height: 100,
        batch_size: 32,
        nonce_count: NONCES,
        r_target: 1.5,
        servers,
      },
      null,
      2,
    ),
  );
  const errorFiles: string[] = [];
  for (const [seed, blockHash] of BLOCK_HASHES.entries()) {
    const publicKey = PUBLIC_KEYS[0]!;
    for (const server of SERVERS) {
      const nonces = Array.from({ length: NONCES }, (_, n) => n);
      // B200's vector for nonce 5 under the second seed is missing: null, and no artifact.
      const gap = (n: number): boolean => server === "B200_FP8" && seed === 1 && n === 5;
      const vectors = nonces.map((n) => (gap(n) ? null : realVector(server, seed, n)));
      const artifacts = nonces
        .filter((n) => !gap(n))
        .map((n) => ({ nonce: n, vector_b64: vectorToBase64(realVector(server, seed, n)) }));
      const file = {
        server_name: server,
        server_url: servers[server],
        block_hash: blockHash,
        public_key: publicKey,
        nonces,
        artifacts,
        vectors,
        encoding: { dtype: "f16", k_dim: 2, endian: "le" },
      };
      await writeFile(join(dir, `${server}_${blockHash}_${publicKey}.json`), JSON.stringify(file));
    }
    const errorFile = `${FAILED_SERVER}_${blockHash}_${publicKey}.json`;
    await writeFile(
      join(dir, errorFile),
      JSON.stringify({
        server_name: FAILED_SERVER,
        server_url: servers[FAILED_SERVER],
        block_hash: blockHash,
        public_key: publicKey,
        error: "HTTPConnectionPool(host='10.0.0.6', port=8000): Read timed out. (read timeout=600)",
      }),
    );
    errorFiles.push(errorFile);
  }
  return errorFiles;
}
