import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type ReferenceBackend, startReferenceBackend } from "../../src/backend/index.js";
import { initHome, type RunningNode, startNode } from "../../src/node/index.js";
import { assessHealth, failureClock } from "../../src/sidecar/health.js";
import { parseSidecarConfig, type RunningSidecar, startSidecar } from "../../src/sidecar/index.js";
import { devNull, tempDir, until } from "./integration-helpers.js";

describe("assessHealth", () => {
  const base = { nowMs: 1_000_000, latestHeight: 50n, sinceLastBlockMs: 300, stageMs: 20_000, blockStallMs: 60_000 };

  it("is ok while failures are younger than a stage, degraded with the reason once older", () => {
    const failing = [{ source: "http://gpu:8080", sinceMs: 1_000_000 - 19_000, error: "ECONNREFUSED" }];
    expect(assessHealth({ ...base, failing })).toEqual({ ok: true, status: "ok", problems: [] });
    const old = [
      { source: "http://gpu:8080", sinceMs: 1_000_000 - 100_000, error: "ECONNREFUSED" },
      { source: "chain", sinceMs: 1_000_000 - 21_000, error: "timeout" },
    ];
    expect(assessHealth({ ...base, failing: old })).toEqual({
      ok: false,
      status: "degraded",
      problems: [
        "backend http://gpu:8080: failing for 100 s (longer than a stage, 20 s); last error: ECONNREFUSED",
        "chain reads: failing for 21 s (longer than a stage, 20 s); last error: timeout",
      ],
    });
  });

  it("counts a chain without new blocks, says starting before the first, and takes 60 s without a block time", () => {
    expect(assessHealth({ ...base, sinceLastBlockMs: 25_000, failing: [] }).problems).toEqual([
      "chain: no new block for 25 s",
    ]);
    expect(assessHealth({ ...base, latestHeight: 0n, failing: [] }).status).toBe("starting");
    const failing = [{ source: "chain", sinceMs: 1_000_000 - 59_000, error: "x" }];
    expect(assessHealth({ ...base, stageMs: undefined, failing }).ok).toBe(true);
    expect(
      assessHealth({ ...base, stageMs: undefined, failing: [{ ...failing[0]!, sinceMs: 1_000_000 - 61_000 }] }).ok,
    ).toBe(false);
  });

  it("keeps a failure's start until a success clears it", () => {
    const clock = failureClock();
    clock.fail("b", "first", 10);
    clock.fail("b", "second", 20);
    expect(clock.failing()).toEqual([{ source: "b", sinceMs: 10, error: "second" }]);
    clock.succeed("b");
    expect(clock.failing()).toEqual([]);
  });
});

describe("/healthz of a running sidecar", () => {
  const temp = tempDir();
  let node: RunningNode | undefined;
  let sidecar: RunningSidecar | undefined;
  let backend: ReferenceBackend | undefined;
  afterAll(async () => {
    await sidecar?.stop();
    await backend?.stop();
    await node?.stop();
    temp.remove();
  });

  it("says degraded, naming the backend, once it has been down for longer than a stage, and ok once it is back", async () => {
    const home = join(temp.dir, "home");
    // A stage of 20 blocks at 100 ms: 2 s.
    const timing = { stageLength: 20n, stageOffset: 5n, commitWindow: 4n, validationWindow: 12n };
    await initHome({ home, validators: 1, participants: 0, timing });
    node = await startNode({ home, rpc: "127.0.0.1:0", blockTimeMs: 100 });
    // A port where a backend was and is no more.
    const gone = await startReferenceBackend({ profile: "h100-fp8" });
    const port = Number(new URL(gone.url).port);
    await gone.stop();
    sidecar = await startSidecar(
      parseSidecarConfig({
        node: { rpcUrl: node.rpcUrl, pollIntervalMs: 100, wsStallMs: 1000, requestTimeoutMs: 2000 },
        key: { keyFile: join(home, "keys", "validator-0.json") },
        backend: { urls: [gone.url] },
        journal: { path: join(temp.dir, "sidecar.db") },
        metrics: { port: 0 },
        log: { level: "silent", progress: "off" },
      }),
      { logStream: devNull() },
    );
    const health = async () => {
      const r = await fetch(`${sidecar!.metricsUrl}/healthz`);
      return { status: r.status, body: (await r.json()) as { ok: boolean; status: string; problems: string[] } };
    };
    const degraded = await until(
      "healthz to say degraded",
      async () => {
        const h = await health();
        return h.body.status === "degraded" ? h : undefined;
      },
      30_000,
    );
    expect(degraded.status).toBe(503);
    expect(degraded.body.ok).toBe(false);
    expect(degraded.body.problems).toHaveLength(1);
    expect(degraded.body.problems[0]).toMatch(
      new RegExp(`^backend ${gone.url}: failing for \\d+ s \\(longer than a stage, [1-4] s\\); last error: .+`),
    );
    // The backend comes back on the same port: the next probe clears it.
    backend = await startReferenceBackend({ profile: "h100-fp8", port });
    const ok = await until(
      "healthz to say ok again",
      async () => {
        const h = await health();
        return h.body.status === "ok" ? h : undefined;
      },
      30_000,
    );
    expect(ok.status).toBe(200);
    expect(ok.body.problems).toEqual([]);
  }, 90_000);
});
