// ops/: the Prometheus rules and config pass `promtool check` and their unit tests (input series in
// ops/prometheus/pocval-sidecar.rules.test.yml); every metric the rules and the Grafana dashboard
// query is one a real sidecar exports on /metrics; and end to end, a real Prometheus on loopback
// scraping a localnet sidecar fires PocvalSidecarBackendDegraded once the sidecar's backend is killed
// (a test copy of the rules with `for:` of seconds, scraped and evaluated every second).
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ReferenceBackend, startReferenceBackend } from "../../src/backend/index.js";
import { initHome, type RunningNode, startNode } from "../../src/node/index.js";
import { parseSidecarConfig, type RunningSidecar, startSidecar } from "../../src/sidecar/index.js";
import { devNull, tempDir, until } from "../sidecar/integration-helpers.js";

const OPS = fileURLToPath(new URL("../../ops", import.meta.url));
const RULES = join(OPS, "prometheus", "pocval-sidecar.rules.yml");
const hasPromtool = spawnSync("promtool", ["--version"]).status === 0;
const hasPrometheus = spawnSync("prometheus", ["--version"]).status === 0;
if (!hasPromtool || !hasPrometheus) {
  process.stderr.write(
    "test/ops/prometheus.test.ts: Debian's prometheus (prometheus, promtool) is missing, so the rules are not checked; apt-get install prometheus, as scripts/test-setup.sh does\n",
  );
}

function promtool(args: string[]) {
  return spawnSync("promtool", args, { cwd: join(OPS, "prometheus"), encoding: "utf8" });
}

/** Metric names an expression names (pocval's own and recording rules'; `up` is Prometheus's). */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\bpocval_sidecar[:_][a-z0-9_:]*/g)].map((m) => m[0]);
}

/** The exported names of a /metrics page; a histogram also answers to its _bucket, _sum and _count. */
function exportedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(m[1]!);
    if (m[2] === "histogram") for (const s of ["_bucket", "_sum", "_count"]) names.add(`${m[1]}${s}`);
  }
  return names;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe.skipIf(!hasPromtool)("ops/prometheus with promtool", () => {
  it("check rules and check config pass", () => {
    const rules = promtool(["check", "rules", "pocval-sidecar.rules.yml"]);
    expect(rules.stdout).toContain("SUCCESS: 10 rules found");
    expect(rules.status).toBe(0);
    const config = promtool(["check", "config", "prometheus.yml"]);
    expect(config.stdout).toContain("SUCCESS: prometheus.yml is valid prometheus config file syntax");
    expect(config.status).toBe(0);
  });

  it("the rules' unit tests pass (every alert fires on its input series and stays quiet on the benign ones)", () => {
    const r = promtool(["test", "rules", "pocval-sidecar.rules.test.yml"]);
    expect(r.stdout + r.stderr).toContain("SUCCESS");
    expect(r.status).toBe(0);
    const tests = readFileSync(join(OPS, "prometheus", "pocval-sidecar.rules.test.yml"), "utf8");
    const alerts = [...readFileSync(RULES, "utf8").matchAll(/- alert: (\w+)/g)].map((m) => m[1]!);
    expect(alerts).toHaveLength(9);
    for (const a of alerts) expect(tests, a).toContain(`alertname: ${a}`);
  });

  it("a broken rule fails promtool's unit tests (the test can fail)", () => {
    const temp = tempDir("pocval-promtool-");
    try {
      const broken = readFileSync(RULES, "utf8").replace(
        "pocval_sidecar_last_block_age_seconds > 120",
        "pocval_sidecar_last_block_age_seconds > 1200",
      );
      writeFileSync(join(temp.dir, "pocval-sidecar.rules.yml"), broken);
      writeFileSync(
        join(temp.dir, "t.yml"),
        readFileSync(join(OPS, "prometheus", "pocval-sidecar.rules.test.yml"), "utf8"),
      );
      const r = spawnSync("promtool", ["test", "rules", "t.yml"], { cwd: temp.dir, encoding: "utf8" });
      expect(r.status).toBe(1);
      expect(r.stdout + r.stderr).toContain("alertname: PocvalSidecarChainStalled");
    } finally {
      temp.remove();
    }
  });
});

describe.skipIf(!hasPrometheus)("a real Prometheus scraping a localnet sidecar", () => {
  const temp = tempDir("pocval-prometheus-");
  const timing = { stageLength: 20n, stageOffset: 0n, commitWindow: 8n, validationWindow: 8n };
  let node: RunningNode;
  let backend: ReferenceBackend;
  let sidecar: RunningSidecar;
  let prometheus: ChildProcess | undefined;
  let promUrl = "";
  let promLog = "";

  async function query<T>(path: string): Promise<T> {
    const r = await fetch(`${promUrl}${path}`);
    return ((await r.json()) as { data: T }).data;
  }

  beforeAll(async () => {
    const home = join(temp.dir, "home");
    await initHome({ home, validators: 1, participants: 0, timing });
    node = await startNode({ home, rpc: "127.0.0.1:0", blockTimeMs: 200 });
    backend = await startReferenceBackend({ profile: "h100-fp8" });
    sidecar = await startSidecar(
      parseSidecarConfig({
        node: { rpcUrl: node.rpcUrl, pollIntervalMs: 100 },
        key: { keyFile: join(home, "keys", "validator-0.json") },
        backend: { urls: [backend.url] },
        journal: { path: join(temp.dir, "journal.db") },
        metrics: { port: 0 },
        log: { level: "silent", progress: "off" },
      }),
      { logStream: devNull() },
    );
    // The test copy: `for:` of minutes become 2 s; scraped and evaluated every second.
    writeFileSync(join(temp.dir, "rules.yml"), readFileSync(RULES, "utf8").replace(/for: \d+m/g, "for: 2s"));
    const target = new URL(sidecar.metricsUrl).host;
    writeFileSync(
      join(temp.dir, "prometheus.yml"),
      `global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [rules.yml]
scrape_configs:
  - job_name: pocval-sidecar
    static_configs: [{targets: ["${target}"]}]
`,
    );
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      "prometheus",
      [
        `--config.file=${join(temp.dir, "prometheus.yml")}`,
        `--storage.tsdb.path=${join(temp.dir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--log.level=warn",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    prometheus.stderr?.on("data", (d: Buffer) => {
      promLog += d.toString("utf8");
    });
    await until(
      "Prometheus scraping the sidecar",
      async () => {
        const r = await query<{ result: { value: [number, string] }[] }>(
          "/api/v1/query?query=pocval_sidecar_stage_seconds",
        ).catch(() => undefined);
        return r && r.result.length > 0 ? r : undefined;
      },
      30_000,
    );
  }, 60_000);

  afterAll(async () => {
    // Its storage is removed with the temp dir, once it has exited.
    const exited =
      prometheus && prometheus.exitCode === null ? new Promise((r) => prometheus?.once("exit", r)) : undefined;
    prometheus?.kill("SIGTERM");
    await exited;
    await sidecar?.stop();
    await backend?.stop();
    await node?.stop();
    temp.remove();
  });

  it("every metric the rules and the dashboard query is one the sidecar exports", async () => {
    const exported = exportedNames(await (await fetch(`${sidecar.metricsUrl}/metrics`)).text());
    const rules = readFileSync(RULES, "utf8");
    const recorded = new Set([...rules.matchAll(/- record: (\S+)/g)].map((m) => m[1]!));
    const dashboard = JSON.parse(readFileSync(join(OPS, "grafana", "pocval-sidecar.json"), "utf8")) as {
      panels: { title: string; targets: { expr: string }[] }[];
      templating: { list: { query?: unknown }[] };
    };
    const exprs = [
      ...dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)),
      ...dashboard.templating.list.map((v) => v.query).filter((q): q is string => typeof q === "string"),
    ];
    expect(exprs.length).toBeGreaterThan(15);
    const unknownInDashboard = exprs.flatMap(metricNames).filter((n) => !exported.has(n));
    expect(unknownInDashboard).toEqual([]);
    const unknownInRules = [...rules.matchAll(/expr: ([\s\S]*?)(?=\n\s+(?:for|labels|annotations):|\n\s+- )/g)]
      .flatMap((m) => metricNames(m[1]!))
      .filter((n) => !exported.has(n) && !recorded.has(n));
    expect(unknownInRules).toEqual([]);
    // The dashboard covers every metric the sidecar exports.
    const used = new Set(exprs.flatMap(metricNames).map((n) => n.replace(/_(bucket|sum|count)$/, "")));
    const unused = [...exported].filter((n) => n.startsWith("pocval_sidecar_") && !/_(bucket|sum|count)$/.test(n));
    expect(unused.filter((n) => !used.has(n))).toEqual(["pocval_sidecar_check_recomputes_total"]);
  });

  it("fires PocvalSidecarBackendDegraded after the backend is killed for longer than a stage", async () => {
    type Alert = { labels: Record<string, string>; state: string };
    const alerts = async () => (await query<{ alerts: Alert[] }>("/api/v1/alerts")).alerts;
    // Healthy first: the backend answering as Prometheus sees it, nothing firing about it.
    await until("the backend up at Prometheus", async () => {
      const r = await query<{ result: unknown[] }>(
        "/api/v1/query?query=pocval_sidecar_backend_failing_seconds%20%3D%3D%200",
      );
      return r.result.length === 1 ? true : undefined;
    });
    const firing = (list: Alert[]) =>
      list.filter((a) => a.labels.alertname === "PocvalSidecarBackendDegraded" && a.state === "firing");
    expect(firing(await alerts())).toEqual([]);
    const stage = await query<{ result: { value: [number, string] }[] }>(
      "/api/v1/query?query=pocval_sidecar_stage_seconds",
    );
    const stageSeconds = Number(stage.result[0]!.value[1]);
    expect(stageSeconds).toBeGreaterThan(1);
    expect(stageSeconds).toBeLessThan(30);
    const killedAt = Date.now();
    await backend.stop();
    const fired = await until(
      "the alert firing",
      async () =>
        (await alerts()).find((a) => a.labels.alertname === "PocvalSidecarBackendDegraded" && a.state === "firing"),
      90_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; prometheus log: ${promLog.slice(-2000)}`);
    });
    const firedAfterS = (Date.now() - killedAt) / 1000;
    expect(fired.labels).toMatchObject({ backend: backend.url, job: "pocval-sidecar", severity: "critical" });
    // Not before the backend had failed for a stage (plus the rule's 2 s `for:`).
    expect(firedAfterS).toBeGreaterThan(stageSeconds);
    process.stderr.write(
      `prometheus e2e: stage ${stageSeconds.toFixed(1)} s; PocvalSidecarBackendDegraded firing ${firedAfterS.toFixed(1)} s after the backend was killed: ${JSON.stringify(fired.labels)}\n`,
    );
  }, 120_000);
});
