import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadParticipantConfig, ParticipantConfigError, parseParticipantConfig } from "../../src/participant/index.js";
import { tempDir } from "./helpers.js";

const temp = tempDir();
afterAll(() => temp.remove());

const minimal = {
  node: { rpcUrl: "http://127.0.0.1:26657" },
  key: { mnemonicEnv: "PARTICIPANT_MNEMONIC" },
  backend: { url: "http://127.0.0.1:8000" },
  dataDir: "/tmp/data",
};

describe("participant config", () => {
  it("fills defaults around the required fields", () => {
    const config = parseParticipantConfig(minimal);
    expect(config.proofApi).toMatchObject({
      host: "127.0.0.1",
      port: 0,
      rateLimit: { capacity: 20, refillPerSecond: 10 },
    });
    expect(config.generation).toEqual({ maxNonces: 10_000, batchSize: 500, concurrency: 2 });
    expect(config.commit).toEqual({ everyBlocks: 1, finalMarginBlocks: 1 });
    expect(config.node.gas).toBe(200_000);
  });

  it("rejects unknown keys, bad values and a bad strategy, naming each path", () => {
    const bad = {
      ...minimal,
      node: { rpcUrl: "ftp://x", pollIntervalMs: 0 },
      backend: { url: "http://b", extra: true },
      generation: { maxNonces: -1 },
      cheat: { strategy: "random:2" },
      surprise: 1,
    };
    try {
      parseParticipantConfig(bad, "p.yaml");
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ParticipantConfigError);
      const message = (err as Error).message;
      for (const path of [
        "node.rpcUrl",
        "node.pollIntervalMs",
        "backend",
        "generation.maxNonces",
        "cheat.strategy",
        "(root)",
      ]) {
        expect(message).toContain(path);
      }
      expect(message).toMatch(/^p\.yaml: /);
      expect(message).toMatch(/random:2/);
    }
  });

  it("defaults to a cosmos chain at node.rpcUrl; an evm chain needs its RPC and contract", () => {
    expect(parseParticipantConfig(minimal).chain).toEqual({ kind: "cosmos", rpcUrl: minimal.node.rpcUrl });
    const contract = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    const evm = parseParticipantConfig({
      ...minimal,
      node: undefined,
      chain: { kind: "evm", rpcUrl: "http://127.0.0.1:8545", contract },
    });
    expect(evm.chain).toEqual({ kind: "evm", rpcUrl: "http://127.0.0.1:8545", contract });
    expect(() => parseParticipantConfig({ ...minimal, chain: { kind: "evm" } })).toThrow(
      /chain\.rpcUrl: required when chain\.kind is evm.*chain\.contract: required when chain\.kind is evm/,
    );
    expect(() => parseParticipantConfig({ ...minimal, node: undefined })).toThrow(/node\.rpcUrl: required/);
  });

  it("refuses a rate limit that cannot leave every validator its request budget, saying why", () => {
    expect(() => parseParticipantConfig({ ...minimal, proofApi: { rateLimit: { capacity: 4 } } })).toThrow(
      /proofApi\.rateLimit\.capacity: capacity 4 is below the chain's proof_request_budget 8: a validator could meet 429 before its budget is spent and vote UNAVAILABLE; set capacity to at least 8/,
    );
    expect(parseParticipantConfig({ ...minimal, proofApi: { rateLimit: { capacity: 8 } } }).proofApi.rateLimit).toEqual(
      {
        capacity: 8,
        refillPerSecond: 10,
      },
    );
  });

  it("needs exactly one key source", () => {
    expect(() => parseParticipantConfig({ ...minimal, key: {} })).toThrow(/key: must be exactly one of/);
    expect(() => parseParticipantConfig({ ...minimal, key: { keyFile: "a", mnemonicFile: "b" } })).toThrow(/key/);
  });

  it("reads YAML and JSON files and names a file it cannot parse", async () => {
    const yamlPath = join(temp.dir, "p.yaml");
    writeFileSync(
      yamlPath,
      "node:\n  rpcUrl: http://127.0.0.1:1\nkey:\n  keyFile: k.json\nbackend:\n  url: http://127.0.0.1:2\ndataDir: d\ngeneration:\n  maxNonces: 50\n",
    );
    expect((await loadParticipantConfig(yamlPath)).generation.maxNonces).toBe(50);
    const jsonPath = join(temp.dir, "p.json");
    writeFileSync(jsonPath, JSON.stringify(minimal));
    expect((await loadParticipantConfig(jsonPath)).dataDir).toBe("/tmp/data");
    writeFileSync(jsonPath, "{");
    await expect(loadParticipantConfig(jsonPath)).rejects.toThrow(
      /p\.json: not valid JSON: syntax error at line 1, column \d+/,
    );
    await expect(loadParticipantConfig(join(temp.dir, "none.yaml"))).rejects.toThrow(
      /none\.yaml: cannot read the file: ENOENT/,
    );
  });

  it("takes environment overrides like the sidecar's: the chain, the backend, a key source replacing the file's", async () => {
    const path = join(temp.dir, "env.json");
    writeFileSync(path, JSON.stringify(minimal));
    const config = await loadParticipantConfig(path, {
      POCVAL_PARTICIPANT_CHAIN_KIND: "evm",
      POCVAL_PARTICIPANT_CHAIN_RPC: "ws://127.0.0.1:8546",
      POCVAL_PARTICIPANT_CHAIN_CONTRACT: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
      POCVAL_PARTICIPANT_BACKEND_URL: "http://127.0.0.1:9000",
      POCVAL_PARTICIPANT_KEY_FILE: "k.json",
    });
    expect(config.chain).toMatchObject({ kind: "evm", rpcUrl: "ws://127.0.0.1:8546" });
    expect(config.backend.url).toBe("http://127.0.0.1:9000");
    expect(config.key).toEqual({ keyFile: "k.json" });
    await expect(loadParticipantConfig(path, { POCVAL_PARTICIPANT_CHAIN_KIND: "evm" })).rejects.toThrow(
      /env\.json: chain\.rpcUrl: required when chain\.kind is evm/,
    );
  });
});
