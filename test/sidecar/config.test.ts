import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  applyEnvOverrides,
  loadSidecarConfig,
  parseSidecarConfig,
  redactConfig,
  SidecarConfigError,
} from "../../src/sidecar/index.js";
import { TEST_MNEMONIC } from "./helpers.js";

const minimal = {
  node: { rpcUrl: "http://127.0.0.1:26657" },
  backend: { urls: ["http://127.0.0.1:8000"] },
  key: { mnemonic: TEST_MNEMONIC },
};
const dir = mkdtempSync(join(tmpdir(), "pocval-sidecar-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function issues(raw: unknown): string[] {
  try {
    parseSidecarConfig(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(SidecarConfigError);
    return (err as SidecarConfigError).issues;
  }
  throw new Error("the config was accepted");
}

describe("parseSidecarConfig", () => {
  it("defaults to a cosmos chain at node.rpcUrl and takes an evm chain with its RPC and contract", () => {
    expect(parseSidecarConfig(minimal).chain).toEqual({ kind: "cosmos", rpcUrl: "http://127.0.0.1:26657" });
    const contract = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    const evm = parseSidecarConfig({
      ...minimal,
      node: undefined,
      chain: { kind: "evm", rpcUrl: "ws://127.0.0.1:8545", contract },
    });
    expect(evm.chain).toEqual({ kind: "evm", rpcUrl: "ws://127.0.0.1:8545", contract });
    expect(evm.node.pollIntervalMs).toBe(500);
  });

  it("names what an evm or cosmos chain section lacks or has too much", () => {
    expect(issues({ ...minimal, node: undefined, chain: { kind: "evm" } })).toEqual([
      expect.stringMatching(/^chain\.rpcUrl: required when chain\.kind is evm/),
      expect.stringMatching(/^chain\.contract: required when chain\.kind is evm/),
    ]);
    expect(issues({ ...minimal, chain: { kind: "evm", rpcUrl: "http://x:1", contract: "0x12" } })).toEqual([
      expect.stringMatching(/^chain\.contract: must be a 20-byte EVM address/),
    ]);
    expect(issues({ ...minimal, chain: { contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3" } })).toEqual([
      "chain.contract: only for chain.kind evm",
    ]);
    expect(issues({ ...minimal, node: undefined })).toEqual([expect.stringMatching(/^node\.rpcUrl: required/)]);
    expect(issues({ ...minimal, chain: { kind: "solana" } })[0]).toMatch(/^chain\.kind: /);
  });

  it("fills every default from a minimal config", () => {
    const c = parseSidecarConfig(minimal);
    expect(c.proofApi).toMatchObject({
      batchSize: 500,
      concurrency: 16,
      retry: { baseDelayMs: 200, maxDelayMs: 1000 },
    });
    expect(c.votes).toMatchObject({ batchSize: 100, gasPrice: "0.025upoc", deadlineMarginBlocks: 2 });
    expect(c.journal.path).toBe("pocval-sidecar.db");
    expect(c.metrics).toEqual({ host: "127.0.0.1", port: 9464, enabled: true });
    expect(c.log).toEqual({ level: "info", progress: "auto" });
    expect(c.check).toEqual({ chunkSize: 20, curtail: true });
  });

  it("rejects unknown keys and names each path at fault", () => {
    const found = issues({
      ...minimal,
      node: { rpcUrl: "ftp://x", extra: 1 },
      proofApi: { batchSize: 501 },
      check: { chunkSize: 0, curtail: "no" },
      backend: { urls: ["http://ok:1", "nope"] },
      surprise: true,
    });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^node\.rpcUrl: must be a http: or https: URL/),
        expect.stringMatching(/^node: .*extra/),
        expect.stringMatching(/^proofApi\.batchSize: /),
        expect.stringMatching(/^check\.chunkSize: /),
        expect.stringMatching(/^check\.curtail: /),
        expect.stringMatching(/^backend\.urls\.1: /),
        expect.stringMatching(/^\(root\): .*surprise/),
      ]),
    );
  });

  it("wants exactly one key source", () => {
    expect(issues({ ...minimal, key: {} })).toEqual([expect.stringMatching(/^key: exactly one of/)]);
    expect(issues({ ...minimal, key: { mnemonic: "a", keyFile: "b" } })).toEqual([expect.stringMatching(/^key: /)]);
  });
});

describe("environment overrides", () => {
  it("override the file, parse numbers and lists, and replace the key source", () => {
    const raw = applyEnvOverrides(
      { ...minimal, key: { keyFile: "/somewhere.json" } },
      {
        POCVAL_SIDECAR_NODE_RPC: "http://10.0.0.1:1",
        POCVAL_SIDECAR_BACKEND_URL: "http://a:1, http://b:2",
        POCVAL_SIDECAR_METRICS_PORT: "0",
        POCVAL_SIDECAR_MNEMONIC: TEST_MNEMONIC,
        POCVAL_SIDECAR_LOG_LEVEL: "warn",
      },
    );
    const c = parseSidecarConfig(raw);
    expect(c.node.rpcUrl).toBe("http://10.0.0.1:1");
    expect(c.backend.urls).toEqual(["http://a:1", "http://b:2"]);
    expect(c.metrics.port).toBe(0);
    expect(c.key).toEqual({ mnemonic: TEST_MNEMONIC });
    expect(c.log.level).toBe("warn");
  });

  it("reports a bad value at the path it overrides", () => {
    expect(issues(applyEnvOverrides(minimal, { POCVAL_SIDECAR_METRICS_PORT: "http" }))).toEqual([
      expect.stringMatching(/^metrics\.port: /),
    ]);
  });
});

describe("loadSidecarConfig", () => {
  it("reads YAML and JSON files", async () => {
    const yaml = join(dir, "sidecar.yaml");
    writeFileSync(
      yaml,
      "node:\n  rpcUrl: http://127.0.0.1:26657\nbackend:\n  urls: [http://127.0.0.1:8000]\nkey:\n  mnemonicFile: /m.txt\nvotes:\n  batchSize: 7\n",
    );
    expect((await loadSidecarConfig(yaml, {})).votes.batchSize).toBe(7);
    const json = join(dir, "sidecar.json");
    writeFileSync(json, JSON.stringify(minimal));
    expect((await loadSidecarConfig(json, {})).backend.urls).toEqual(["http://127.0.0.1:8000"]);
  });

  it("names the file when it is missing or not YAML", async () => {
    await expect(loadSidecarConfig(join(dir, "absent.yaml"), {})).rejects.toThrow(/absent\.yaml: cannot read/);
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "node: [unclosed");
    await expect(loadSidecarConfig(bad, {})).rejects.toThrow(/bad\.yaml: not valid YAML/);
  });

  it("never shows the mnemonic in the redacted config", () => {
    expect(JSON.stringify(redactConfig(parseSidecarConfig(minimal)))).not.toContain("abandon");
  });
});
