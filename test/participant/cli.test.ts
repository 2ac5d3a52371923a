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
});
