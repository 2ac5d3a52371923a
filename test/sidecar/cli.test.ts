// `pocval sidecar` as a user runs it: usage errors exit 2, bad configs and an occupied metrics
// port exit 1 with the file, field or port named.
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../cli/helpers.js";
import { TEST_MNEMONIC } from "./helpers.js";
import { tempDir } from "./integration-helpers.js";

const temp = tempDir();
afterAll(() => temp.remove());
const config = (body: unknown): string => {
  const file = join(temp.dir, `c-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(body));
  return file;
};
const valid = {
  node: { rpcUrl: "http://127.0.0.1:1" },
  backend: { urls: ["http://127.0.0.1:2"] },
  journal: { path: join(temp.dir, "cli.db") },
};

describe("pocval sidecar", () => {
  it("answers usage errors with exit 2", () => {
    expect(runCli(["sidecar"])).toMatchObject({
      status: 2,
      stderr: expect.stringMatching(/usage: pocval sidecar start --config FILE/),
    });
    expect(runCli(["sidecar", "start"])).toMatchObject({ status: 2, stderr: expect.stringMatching(/--config/) });
    expect(runCli(["sidecar", "start", "--config", "x", "--bogus"])).toMatchObject({ status: 2 });
  });

  it("names the file and the fields of a bad config, env overrides included, and exits 2", () => {
    const missing = runCli(["sidecar", "start", "--config", join(temp.dir, "absent.yaml")]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/absent\.yaml: cannot read/);
    const bad = runCli([
      "sidecar",
      "start",
      "--config",
      config({ ...valid, key: { mnemonic: TEST_MNEMONIC }, extra: 1 }),
    ]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/extra/);
    const env = runCli(["sidecar", "start", "--config", config(valid)], {
      env: { POCVAL_SIDECAR_MNEMONIC: TEST_MNEMONIC, POCVAL_SIDECAR_NODE_RPC: "ftp://x" },
    });
    expect(env.status).toBe(2);
    expect(env.stderr).toMatch(/node\.rpcUrl: must be a http: or https: URL/);
    expect(env.stderr).not.toContain("abandon");
  });

  it("names an occupied metrics port", async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = runCli(
        ["sidecar", "start", "--config", config({ ...valid, metrics: { port }, log: { level: "silent" } })],
        {
          env: { POCVAL_SIDECAR_MNEMONIC: TEST_MNEMONIC },
        },
      );
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(`metrics.host/metrics.port 127.0.0.1:${port}: cannot listen \\(EADDRINUSE\\)`),
      );
      expect(r.stderr).not.toContain("abandon");
    } finally {
      blocker.close();
    }
  });
});
