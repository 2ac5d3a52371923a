// `pocval participant start` as a user runs it: flag and config errors, then a start and a clean stop.
import { spawn, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "./helpers.js";

const BIN = join(import.meta.dirname, "../../bin/pocval.js");
const temp = tempDir();
afterAll(() => temp.remove());

const MNEMONIC = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

const MNEMONIC_2 = "legal winner thank year wave sausage worth useful legal winner thank yellow";

function pocval(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env: { ...process.env, M: MNEMONIC } });
}

function writeConfig(extra: Record<string, unknown> = {}): string {
  const path = join(temp.dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      // Nothing listens on port 1: the agent keeps retrying the chain while its proof API is up.
      node: { rpcUrl: "http://127.0.0.1:1", requestTimeoutMs: 200 },
      key: { mnemonicEnv: "M" },
      backend: { url: "http://127.0.0.1:1" },
      dataDir: join(temp.dir, "data"),
      ...extra,
    }),
  );
  return path;
}

describe("pocval participant", () => {
  it("exits 2 naming the problem for a bad --cheat, a missing --config or an unknown subcommand", () => {
    const cheat = pocval(["participant", "start", "--config", writeConfig(), "--cheat", "random:7"]);
    expect(cheat.status).toBe(2);
    expect(cheat.stderr).toMatch(/--cheat: invalid cheat strategy "random:7"/);
    const missing = pocval(["participant", "start"]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/--config/);
    expect(pocval(["participant", "run"]).status).toBe(2);
  }, 60_000);

  it("exits 2 naming the field of a config that does not validate", () => {
    const res = pocval(["participant", "start", "--config", writeConfig({ proofApi: { port: 70000 } })]);
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/proofApi\.port/);
  }, 60_000);

  it("starts, logs JSON lines with its proof API and strategy, and stops cleanly on SIGTERM", async () => {
    const child = spawn(
      process.execPath,
      [BIN, "participant", "start", "--config", writeConfig(), "--cheat", "inflate:2"],
      { env: { ...process.env, M: MNEMONIC }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    const started = await new Promise<Record<string, unknown>>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const line = out.split("\n").find((l) => l.includes('"participant_started"'));
        if (line) resolve(JSON.parse(line) as Record<string, unknown>);
      });
      child.once("exit", (code) => reject(new Error(`exited early with ${code}: ${out}`)));
    });
    expect(started.strategy).toBe("inflate:2");
    expect(String(started.proof_api_url)).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const state = await fetch(`${started.proof_api_url}/pocval/v1/state?stage_height=2`);
    expect(state.status).toBe(404);
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(out).toMatch(/"register_retry"/);
  }, 60_000);

  it("hosts one agent per --config in one process, each with its own key, store and proof API", async () => {
    const honest = writeConfig({ dataDir: join(temp.dir, "host-a") });
    const cheat = writeConfig({
      key: { mnemonicEnv: "M2" },
      dataDir: join(temp.dir, "host-b"),
      cheat: { strategy: "withhold" },
    });
    // --cheat would apply to every one of them: refused, each config names its own.
    const both = pocval(["participant", "start", "--config", honest, "--config", cheat, "--cheat", "withhold"]);
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/--cheat: with several --config files/);
    const twice = pocval(["participant", "start", "--config", honest, "--config", honest]);
    expect(twice.status).toBe(2);
    expect(twice.stderr).toMatch(/the same file is given twice/);

    const child = spawn(process.execPath, [BIN, "participant", "start", "--config", honest, "--config", cheat], {
      env: { ...process.env, M: MNEMONIC, M2: MNEMONIC_2 },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const started = await new Promise<Record<string, unknown>[]>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const lines = out.split("\n").filter((l) => l.includes('"participant_started"'));
        if (lines.length === 2) resolve(lines.map((l) => JSON.parse(l) as Record<string, unknown>));
      });
      child.once("exit", (code) => reject(new Error(`exited early with ${code}: ${out}`)));
    });
    const byStrategy = Object.fromEntries(started.map((s) => [String(s.strategy), s]));
    expect(Object.keys(byStrategy).sort()).toEqual(["honest", "withhold"]);
    expect(byStrategy.honest!.address).not.toBe(byStrategy.withhold!.address);
    expect(byStrategy.honest!.proof_api_url).not.toBe(byStrategy.withhold!.proof_api_url);
    for (const s of started) {
      const state = await fetch(`${s.proof_api_url}/pocval/v1/state?stage_height=2`);
      expect(state.status).toBe(404);
    }
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(out.split("\n").filter((l) => l.includes('"participant_stopped"'))).toHaveLength(2);
  }, 60_000);
});
