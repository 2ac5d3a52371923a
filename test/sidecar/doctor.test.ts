// `pocval sidecar doctor` (the compiled CLI) against a live localnet: the embedded node and
// reference backends on loopback, configs written by `pocval sidecar init`. Healthy, it passes every
// check and exits 0; then each fault alone (a wrong chain id, a backend serving another model, a
// dead backend, an unbonded key, a journal locked by a running sidecar, a key readable by others,
// a config that does not validate) fails its own line, names what to do, and exits 1. `sidecar start`
// refuses the wrong chain id as doctor fails it.
import { execFile, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ReferenceBackend, startReferenceBackend } from "../../src/backend/index.js";
import { initHome, type RunningNode, startNode } from "../../src/node/index.js";
import { loadSidecarConfig, type RunningSidecar, startSidecar } from "../../src/sidecar/index.js";
import { devNull, tempDir } from "./integration-helpers.js";

const BIN = fileURLToPath(new URL("../../bin/pocval.js", import.meta.url));
const CHAIN_ID = "pocval-doctor";
const timing = { stageLength: 20n, stageOffset: 0n, commitWindow: 8n, validationWindow: 8n };

/** A port nobody listens on now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe("pocval sidecar doctor on a live localnet", { timeout: 90_000 }, () => {
  const temp = tempDir("pocval-doctor-");
  const home = join(temp.dir, "home");
  let node: RunningNode;
  let backend: ReferenceBackend;
  let otherModel: ReferenceBackend;
  let deadUrl: string;
  let mnemonic: string;

  /** Writes a config with the real `sidecar init` (flags over the healthy defaults); returns its path. */
  async function init(name: string, flags: Record<string, string> = {}): Promise<string> {
    const out = join(temp.dir, `${name}.yaml`);
    const all: Record<string, string> = {
      "chain-id": CHAIN_ID,
      rpc: node.rpcUrl,
      backend: backend.url,
      "key-file": join(home, "keys", "validator-0.json"),
      journal: join(temp.dir, `${name}.db`),
      "metrics-port": String(await freePort()),
      ...flags,
    };
    const args = ["sidecar", "init", "--out", out, ...Object.entries(all).flatMap(([k, v]) => [`--${k}`, v])];
    const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(`wrote ${out}; next: pocval sidecar doctor --config ${out}\n`);
    return out;
  }

  /** Runs doctor in a child process, asynchronously: the node and backends answer from this one. */
  function doctor(config: string): Promise<{ status: number | null; lines: string[]; text: string }> {
    const args = [BIN, "sidecar", "doctor", "--config", config, "--timeout-ms", "15000"];
    return new Promise((done) => {
      execFile(process.execPath, args, { encoding: "utf8", timeout: 60_000 }, (err, stdout, stderr) => {
        if (process.env.POCVAL_TEST_LOGS) process.stderr.write(stdout + stderr);
        const status = err === null ? 0 : typeof err.code === "number" ? err.code : null;
        done({ status, lines: stdout.trim().split("\n"), text: stdout + stderr });
      });
    });
  }

  const lineOf = (lines: string[], check: string) => lines.find((l) => l.slice(5).startsWith(`${check} `)) ?? "";

  beforeAll(async () => {
    await initHome({ home, chainId: CHAIN_ID, validators: 2, participants: 1, timing });
    mnemonic = (JSON.parse(readFileSync(join(home, "keys", "validator-0.json"), "utf8")) as { mnemonic: string })
      .mnemonic;
    node = await startNode({ home, rpc: "127.0.0.1:0", blockTimeMs: 200 });
    backend = await startReferenceBackend({ profile: "h100-fp8" });
    otherModel = await startReferenceBackend({ profile: "h100-fp8", model: "other-org/other-model" });
    const dead = await startReferenceBackend({ profile: "h100-fp8" });
    deadUrl = dead.url;
    await dead.stop();
    // The first stage's snapshot: doctor reads the current stage's stakes.
    while (node.height() < timing.stageLength + 1n) await new Promise((r) => setTimeout(r, 100));
  }, 60_000);

  afterAll(async () => {
    await backend?.stop();
    await otherModel?.stop();
    await node?.stop();
    temp.remove();
  });

  it("passes every check, in order, on a healthy validator and exits 0", async () => {
    const { status, lines, text } = await doctor(await init("healthy"));
    expect(lines.map((l) => (l.startsWith("all") ? l : l.slice(0, 16).trimEnd()))).toEqual([
      "ok   config",
      "ok   key",
      "ok   account",
      "ok   node",
      "ok   params",
      "ok   backend[0]",
      "ok   metrics",
      "ok   journal",
      "all checks passed",
    ]);
    expect(status).toBe(0);
    expect(lineOf(lines, "account")).toMatch(/bonded, stake \d+ of \d+ \(\d+(\.\d+)?%\)/);
    expect(lineOf(lines, "node")).toContain(`chain ${CHAIN_ID}`);
    expect(lineOf(lines, "node")).toMatch(/websocket NewBlock \d+/);
    expect(lineOf(lines, "backend[0]")).toMatch(
      /2 nonces in \d+\.\d\d s; distances 0\.\d{4}, 0\.\d{4} to pocval's exact/,
    );
    expect(lineOf(lines, "key")).toMatch(/mode 0600: a valid mnemonic for pocval1/);
    expect(text).not.toContain(mnemonic);
    expect(text).not.toContain(mnemonic.split(" ").slice(0, 3).join(" "));
  });

  it("a wrong chain id fails the node line and names the fix", async () => {
    const { status, lines } = await doctor(await init("wrong-chain", { "chain-id": "pocval-mainnet" }));
    expect(lineOf(lines, "node")).toBe(
      `FAIL node       ${node.rpcUrl} is on chain "${CHAIN_ID}", the config says chain.id "pocval-mainnet" -> do: point the RPC URL at a node of the right chain, or correct chain.id`,
    );
    expect(lines.filter((l) => l.startsWith("FAIL"))).toHaveLength(1);
    expect(status).toBe(1);
  });

  it("sidecar start refuses a node on another chain than chain.id, before it takes the journal", async () => {
    const config = await init("start-wrong-chain", { "chain-id": "pocval-mainnet" });
    const r = await new Promise<{ status: number | null; stderr: string }>((done) => {
      execFile(
        process.execPath,
        [BIN, "sidecar", "start", "--config", config],
        { timeout: 30_000 },
        (err, _o, stderr) =>
          done({ status: err === null ? 0 : typeof err.code === "number" ? err.code : null, stderr }),
      );
    });
    expect(r.stderr).toContain(
      `pocval sidecar: ${node.rpcUrl} is on chain "${CHAIN_ID}", the config says chain.id "pocval-mainnet": point chain.rpcUrl at a node of the right chain, or correct chain.id`,
    );
    expect(r.status).toBe(1);
  });

  it("a backend serving another model fails its line", async () => {
    const { status, lines } = await doctor(await init("other-model", { backend: otherModel.url }));
    expect(lineOf(lines, "backend[0]")).toMatch(
      new RegExp(
        `^FAIL backend\\[0\\] ${otherModel.url}: serves model other-org/other-model \\(chain: .+\\) -> do: deploy `,
      ),
    );
    expect(lines.filter((l) => l.startsWith("FAIL"))).toHaveLength(1);
    expect(status).toBe(1);
  });

  it("a dead backend fails its line as not reachable", async () => {
    const { status, lines } = await doctor(await init("dead-backend", { backend: deadUrl }));
    expect(lineOf(lines, "backend[0]")).toMatch(
      /^FAIL backend\[0\] http:\/\/127\.0\.0\.1:\d+: not reachable \(.+\) -> do: start the backend, or correct backend\.urls$/,
    );
    expect(lines.filter((l) => l.startsWith("FAIL"))).toHaveLength(1);
    expect(status).toBe(1);
  });

  it("an unbonded key (a participant's) fails the account line", async () => {
    const { status, lines } = await doctor(
      await init("unbonded", { "key-file": join(home, "keys", "participant-0.json") }),
    );
    expect(lineOf(lines, "account")).toMatch(
      /^FAIL account {4}pocval1\w+: not bonded \(not in stage \d+'s stake snapshot of 2 validators\) -> do: bond stake/,
    );
    expect(lines.filter((l) => l.startsWith("FAIL"))).toHaveLength(1);
    expect(status).toBe(1);
  });

  it("a journal locked by a running sidecar fails the journal line with the holder's pid", async () => {
    const file = await init("locked");
    const config = await loadSidecarConfig(file, {});
    let sidecar: RunningSidecar | undefined;
    try {
      sidecar = await startSidecar(
        { ...config, metrics: { ...config.metrics, port: 0 }, log: { level: "silent", progress: "off" } },
        { logStream: devNull() },
      );
      const { status, lines } = await doctor(file);
      expect(lineOf(lines, "journal")).toBe(
        `FAIL journal    ${config.journal.path}: locked by a running sidecar (pid ${process.pid}, ${config.journal.path}.lock) -> do: stop the running sidecar first (systemctl stop pocval-sidecar), or give this config its own journal.path`,
      );
      expect(lines.filter((l) => l.startsWith("FAIL"))).toHaveLength(1);
      expect(status).toBe(1);
    } finally {
      await sidecar?.stop();
    }
    // Stopped, the lock is gone.
    expect(lineOf((await doctor(file)).lines, "journal")).toMatch(/^ok {3}journal/);
  });

  it("a key file others can read fails the key line, without printing the mnemonic", async () => {
    const key = join(temp.dir, "open-key.json");
    copyFileSync(join(home, "keys", "validator-0.json"), key);
    chmodSync(key, 0o644);
    const { status, lines, text } = await doctor(await init("open-key", { "key-file": key }));
    expect(lineOf(lines, "key")).toBe(
      `FAIL key        ${key}: mode 0644 lets group or others read the mnemonic -> do: chmod 600 ${key}`,
    );
    expect(lineOf(lines, "account")).toBe("skip account    needs the key");
    expect(text).not.toContain(mnemonic);
    expect(status).toBe(1);
  });

  it("a key file that is not JSON (a bare mnemonic) fails the key line without quoting it", async () => {
    const key = join(temp.dir, "bare-key.json");
    writeFileSync(key, `${mnemonic}\n`, { mode: 0o600 });
    const { status, lines, text } = await doctor(await init("bare-key", { "key-file": key }));
    expect(lineOf(lines, "key")).toMatch(
      new RegExp(`^FAIL key {8}key file ${key}: .+ -> do: put the validator's BIP-39 mnemonic`),
    );
    expect(text).not.toContain(mnemonic.split(" ").slice(0, 2).join(" "));
    expect(status).toBe(1);
  });

  it("a config that does not validate fails first and skips the rest", async () => {
    const file = join(temp.dir, "bad.yaml");
    writeFileSync(file, `node: {rpcUrl: ${node.rpcUrl}}\nbackend: {urls: ["ftp://x"]}\nkey: {keyFile: k.json}\n`);
    const { status, lines } = await doctor(file);
    expect(lines[0]).toMatch(
      /^FAIL config {5}.*backend\.urls\.0: must be a http: or https: URL.* -> do: correct the named fields/,
    );
    expect(lines.slice(1, 8).every((l) => l.startsWith("skip"))).toBe(true);
    expect(status).toBe(1);
  });
});
