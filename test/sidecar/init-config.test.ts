// `pocval sidecar init`: the config it writes loads with the sidecar's own loader (cosmos and evm),
// holds exactly the operator's values and every default, and explains every field in the README's
// words: the README's table is SIDECAR_CONFIG_FIELDS rendered, and the fields cover the schema.
import { spawnSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import {
  configFieldsTable,
  loadSidecarConfig,
  parseSidecarConfig,
  SIDECAR_CONFIG_FIELDS,
} from "../../src/sidecar/index.js";
import { tempDir } from "./integration-helpers.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = join(ROOT, "bin", "pocval.js");
const temp = tempDir("pocval-init-");
afterAll(() => temp.remove());

function pocval(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8" });
}

/** Dotted paths of every leaf (a value that is not a plain object; arrays are leaves). */
function leaves(obj: unknown, prefix = ""): string[] {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) return [prefix];
  return Object.entries(obj).flatMap(([k, v]) => leaves(v, prefix === "" ? k : `${prefix}.${k}`));
}

describe("the sidecar config's fields, one home", () => {
  it("README's sidecar config table is SIDECAR_CONFIG_FIELDS, row for row", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    expect(readme).toContain(`${configFieldsTable()}\n`);
  });

  it("the fields cover every key of the schema exactly once", () => {
    const base = { backend: { urls: ["http://127.0.0.1:8000"] } };
    const evm = {
      ...base,
      chain: { kind: "evm", id: "31337", rpcUrl: "ws://127.0.0.1:8545", contract: `0x${"ab".repeat(20)}` },
      node: { rpcUrl: "http://127.0.0.1:26657", wsUrl: "ws://127.0.0.1:8546" },
    };
    const parsed = [{ mnemonicFile: "m" }, { keyFile: "k" }, { mnemonic: "words" }].map((key) =>
      parseSidecarConfig({ ...evm, key }),
    );
    const schemaKeys = new Set(parsed.flatMap((c) => leaves(c)));
    const fieldKeys = SIDECAR_CONFIG_FIELDS.flatMap((f) => f.keys);
    expect(new Set(fieldKeys).size).toBe(fieldKeys.length);
    expect([...new Set(fieldKeys)].sort()).toEqual([...schemaKeys].sort());
  });
});

describe("pocval sidecar init", () => {
  it("cosmos: the file loads with the real loader and holds the operator's values and every default", async () => {
    const out = join(temp.dir, "cosmos.yaml");
    const r = pocval([
      "sidecar",
      "init",
      "--chain-id",
      "pocval-1",
      "--rpc",
      "http://10.0.0.5:26657",
      "--backend",
      "http://10.0.0.6:8000",
      "--backend",
      "http://10.0.0.7:8000",
      "--key-file",
      "/etc/pocval/validator.json",
      "--journal",
      "/var/lib/pocval/journal.db",
      "--out",
      out,
    ]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o640);
    const loaded = await loadSidecarConfig(out, {});
    expect(loaded).toEqual(
      parseSidecarConfig({
        chain: { id: "pocval-1" },
        node: { rpcUrl: "http://10.0.0.5:26657" },
        backend: { urls: ["http://10.0.0.6:8000", "http://10.0.0.7:8000"] },
        key: { keyFile: "/etc/pocval/validator.json" },
        journal: { path: "/var/lib/pocval/journal.db" },
      }),
    );
    const text = readFileSync(out, "utf8");
    // Every field explained in the docs' words, with its default.
    for (const f of SIDECAR_CONFIG_FIELDS) {
      expect(text).toContain(`# ${f.meaning}${f.default === "" ? "" : ` (default ${f.default})`}\n`);
    }
    // Every default written out as a value (not only described).
    for (const line of [
      "concurrency: 8",
      "timeoutMs: 120000",
      "attempts: 1000",
      'gasPrice: "0.025upoc"',
      "port: 9464",
    ]) {
      expect(text).toContain(`  ${line}\n`);
    }
    expect(text).toContain("# wsUrl: ws://10.0.0.5:26657/websocket  (derived)");
    expect(text).not.toMatch(/^\s+mnemonic:/m);
    // It refuses to overwrite.
    const again = pocval([
      "sidecar",
      "init",
      "--rpc",
      "http://x:1",
      "--backend",
      "http://x:2",
      "--key-file",
      "k",
      "--out",
      out,
    ]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain(`--out ${out}: EEXIST`);
  });

  it("evm: chain.rpcUrl and the contract, loaded by the real loader", async () => {
    const out = join(temp.dir, "evm.yaml");
    const contract = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    const r = pocval([
      "sidecar",
      "init",
      "--chain",
      "evm",
      "--chain-id",
      "31337",
      "--rpc",
      "ws://127.0.0.1:8545",
      "--contract",
      contract,
      "--backend",
      "http://127.0.0.1:8000",
      "--mnemonic-file",
      "/etc/pocval/mnemonic",
      "--out",
      out,
    ]);
    expect(r.status, r.stderr).toBe(0);
    const loaded = await loadSidecarConfig(out, {});
    expect(loaded.chain).toEqual({ kind: "evm", id: "31337", rpcUrl: "ws://127.0.0.1:8545", contract });
    expect(loaded.node.rpcUrl).toBeUndefined();
    expect(loaded.key).toEqual({ mnemonicFile: "/etc/pocval/mnemonic" });
  });

  it("refuses bad input with the field named (exit 2), and an evm config without its contract", () => {
    const bad = pocval(["sidecar", "init", "--rpc", "ftp://x", "--backend", "http://x:2", "--key-file", "k"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("node.rpcUrl: must be a http: or https: URL");
    const noContract = pocval([
      "sidecar",
      "init",
      "--chain",
      "evm",
      "--rpc",
      "http://x:1",
      "--backend",
      "http://x:2",
      "--key-file",
      "k",
    ]);
    expect(noContract.status).toBe(2);
    expect(noContract.stderr).toContain("chain.contract: required when chain.kind is evm");
    const twoKeys = pocval([
      "sidecar",
      "init",
      "--rpc",
      "http://x:1",
      "--backend",
      "http://x:2",
      "--key-file",
      "k",
      "--mnemonic-file",
      "m",
    ]);
    expect(twoKeys.status).toBe(2);
    expect(twoKeys.stderr).toContain("exactly one of --key-file and --mnemonic-file");
  });
});
