// Prometheus metrics of the sidecar and the HTTP server for /metrics and /healthz.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { PocvalError } from "../core/index.js";

export interface SidecarMetrics {
  registry: Registry;
  participantsChecked: Counter<"outcome">;
  votesDecided: Counter<"verdict" | "reason">;
  votesSubmitted: Counter<"verdict" | "reason">;
  abstentions: Counter<"cause">;
  backendLatency: Histogram<"backend">;
  backendErrors: Counter<"backend">;
  noncesRecomputed: Counter;
  checkRecomputes: Counter<"participant">;
  recomputesPerCheck: Histogram;
  noncesChecked: Counter;
  mismatches: Counter;
  proofFailures: Counter<"kind">;
  transactions: Counter<"result">;
  chainHeight: Gauge;
  chainLag: Gauge;
  recomputeQueue: Gauge<"state">;
}

/** Fresh metrics on their own registry (several sidecars may share one process in tests). */
export function createMetrics(): SidecarMetrics {
  const registry = new Registry();
  const registers = [registry];
  return {
    registry,
    participantsChecked: new Counter({
      name: "pocval_sidecar_participants_checked_total",
      help: "Participants checked, by outcome (vote or abstain)",
      labelNames: ["outcome"],
      registers,
    }),
    votesDecided: new Counter({
      name: "pocval_sidecar_votes_decided_total",
      help: "Votes decided and journaled, by verdict and reason",
      labelNames: ["verdict", "reason"],
      registers,
    }),
    votesSubmitted: new Counter({
      name: "pocval_sidecar_votes_submitted_total",
      help: "Votes found on chain after submission, by verdict and reason",
      labelNames: ["verdict", "reason"],
      registers,
    }),
    abstentions: new Counter({
      name: "pocval_sidecar_abstentions_total",
      help: "Participants left without a vote because of the sidecar's own fault, by cause",
      labelNames: ["cause"],
      registers,
    }),
    backendLatency: new Histogram({
      name: "pocval_sidecar_backend_request_seconds",
      help: "Latency of recompute requests to the backend",
      labelNames: ["backend"],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    }),
    backendErrors: new Counter({
      name: "pocval_sidecar_backend_errors_total",
      help: "Failed recompute requests (each retried)",
      labelNames: ["backend"],
      registers,
    }),
    noncesRecomputed: new Counter({
      name: "pocval_sidecar_nonces_recomputed_total",
      help: "Nonces recomputed on the backend",
      registers,
    }),
    checkRecomputes: new Counter({
      name: "pocval_sidecar_check_recomputes_total",
      help: "Sampled leaves recomputed for STAT_TEST checks, by participant (curtailed checks stop early)",
      labelNames: ["participant"],
      registers,
    }),
    recomputesPerCheck: new Histogram({
      name: "pocval_sidecar_recomputes_per_check",
      help: "Leaves recomputed by one decided STAT_TEST check (the vote's checked)",
      buckets: [0, 20, 40, 60, 80, 100, 120, 140, 160, 180, 200, 300, 400, 500, 1000],
      registers,
    }),
    noncesChecked: new Counter({
      name: "pocval_sidecar_nonces_compared_total",
      help: "Received vectors compared with recomputed ones",
      registers,
    }),
    mismatches: new Counter({
      name: "pocval_sidecar_mismatches_total",
      help: "Compared vectors farther apart than dist_threshold",
      registers,
    }),
    proofFailures: new Counter({
      name: "pocval_sidecar_proof_request_failures_total",
      help: "Failed proof API requests, by kind (each retried within the budget)",
      labelNames: ["kind"],
      registers,
    }),
    transactions: new Counter({
      name: "pocval_sidecar_vote_transactions_total",
      help: "MsgSubmitVotes transactions, by result",
      labelNames: ["result"],
      registers,
    }),
    chainHeight: new Gauge({ name: "pocval_sidecar_chain_height", help: "Latest height seen", registers }),
    chainLag: new Gauge({
      name: "pocval_sidecar_chain_lag_blocks",
      help: "Blocks between the chain's latest height and the last height the sidecar processed",
      registers,
    }),
    recomputeQueue: new Gauge({
      name: "pocval_sidecar_recompute_queue",
      help: "Recompute chunks queued and in flight",
      labelNames: ["state"],
      registers,
    }),
  };
}

/** The metrics server could not listen (port in use, bad host); names the config fields. */
export class MetricsServerError extends PocvalError {
  override name = "MetricsServerError";
}

export interface MetricsServer {
  url: string;
  stop(): Promise<void>;
}

/** Serves /metrics (Prometheus text) and /healthz (JSON from health(); 503 when not ok). */
export async function startMetricsServer(opts: {
  host: string;
  port: number;
  metrics: SidecarMetrics;
  health: () => { ok: boolean } & Record<string, unknown>;
  /** The evidence JSON kept behind a fault vote (GET /evidence?stage_height=S&participant=P). */
  evidence?: (stageHeight: bigint, participant: string) => string | undefined;
}): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://localhost");
    } catch {
      res.writeHead(400).end();
      return;
    }
    const path = url.pathname;
    if (req.method !== "GET") {
      res.writeHead(405, { allow: "GET" }).end();
      return;
    }
    if (path === "/metrics") {
      opts.metrics.registry
        .metrics()
        .then((text) => res.writeHead(200, { "content-type": opts.metrics.registry.contentType }).end(text))
        .catch((err: Error) => res.writeHead(500).end(err.message));
      return;
    }
    if (path === "/healthz") {
      const h = opts.health();
      res
        .writeHead(h.ok ? 200 : 503, { "content-type": "application/json" })
        .end(JSON.stringify(h, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
      return;
    }
    if (path === "/evidence" && opts.evidence) {
      const json = (status: number, body: string) =>
        res.writeHead(status, { "content-type": "application/json" }).end(body);
      const stage = url.searchParams.get("stage_height") ?? "";
      const participant = url.searchParams.get("participant") ?? "";
      if (!/^\d{1,20}$/.test(stage)) {
        json(400, JSON.stringify({ error: "stage_height: must be a non-negative integer query parameter" }));
        return;
      }
      if (participant === "" || participant.length > 256) {
        json(400, JSON.stringify({ error: "participant: must name a participant address" }));
        return;
      }
      const found = opts.evidence(BigInt(stage), participant);
      if (found === undefined) {
        json(404, JSON.stringify({ error: `no evidence kept for ${participant} at stage ${stage}` }));
        return;
      }
      json(200, found);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(
        new MetricsServerError(
          `metrics.host/metrics.port ${opts.host}:${opts.port}: cannot listen (${err.code ?? err.message})`,
        ),
      ),
    );
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host}:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
