import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { createBackendClient, profileNames } from "../../src/backend/index.js";
import { runCli } from "./helpers.js";

const bin = fileURLToPath(new URL("../../bin/pocval.js", import.meta.url));

describe("pocval backend", () => {
  it("start serves the API on the printed URL and stops cleanly on SIGTERM", async () => {
    const child = spawn(
      process.execPath,
      [
        bin,
        "backend",
        "start",
        "--port",
        "0",
        "--profile",
        "b200-fp8",
        "--machine-id",
        "cli",
        "--k-dim",
        "8",
        "--fault",
        "busy-next:1",
        "--json",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    try {
      let stdout = "";
      child.stdout.setEncoding("utf8");
      child.stdout.on("data", (d: string) => {
        stdout += d;
      });
      for (let i = 0; i < 200 && !stdout.trimEnd().endsWith("}"); i++) await new Promise((r) => setTimeout(r, 50));
      const info = JSON.parse(stdout);
      expect(info).toMatchObject({ profile: "b200-fp8", machine_id: "cli", params: { k_dim: 8 } });
      const client = createBackendClient({ url: info.url, backoffMs: 5 });
      const out = await client.generate({
        blockHash: "aa".repeat(32),
        blockHeight: 1,
        publicKey: "pk",
        nonces: [0, 1, 2],
        params: { model: info.params.model, seqLen: info.params.seq_len, kDim: 8 },
      });
      expect(out.map((a) => a.vector.length)).toEqual([8, 8, 8]);
      child.kill("SIGTERM");
      const [code] = await once(child, "exit");
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  it("start names a bad profile or fault spec and exits 2", () => {
    const profile = runCli(["backend", "start", "--port", "0", "--profile", "tpu"]);
    expect(profile.status).toBe(2);
    expect(profile.stderr).toContain('--profile: unknown profile "tpu"');
    const fault = runCli(["backend", "start", "--port", "0", "--profile", "int4", "--fault", "busy:5"]);
    expect(fault.status).toBe(2);
    expect(fault.stderr).toContain('fault "busy:5"');
    const port = runCli(["backend", "start", "--port", "x", "--profile", "int4"]);
    expect(port.status).toBe(2);
    expect(port.stderr).toContain("--port must be an integer");
  });

  it("profiles lists every profile", () => {
    const r = runCli(["backend", "profiles", "--json"]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).profiles.map((p: { name: string }) => p.name)).toEqual(profileNames);
  });
});
