// `pocval dashboard`: the governance page, its JSON API and a live feed (server-sent events).
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { dirname, extname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { EVM_ADDRESS_PATTERN } from "../core/index.js";
import { HttpError, listen, sendJson } from "../net/index.js";
import type { OverviewView } from "./api-types.js";
import { type ChainReader, createChainReader, NodeUnreachableError, NotFoundError } from "./reader.js";
import { createEvmChainReader, NoContractError } from "./reader-evm.js";

/** Where the dashboard reads the chain: exactly one of a Cosmos node, a PocvalTally contract, or a reader. */
export type DashboardSource =
  | { nodeUrl: string; evm?: undefined; reader?: undefined }
  | { evm: { rpcUrl: string; contract: string }; nodeUrl?: undefined; reader?: undefined }
  | { reader: ChainReader; label: string; addresses: "bech32" | "evm"; nodeUrl?: undefined; evm?: undefined };

export type DashboardOptions = DashboardSource & {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** How often the node is polled for a new height. */
  pollMs?: number;
  /** The built page (defaults to the package's dist/dashboard-web). */
  assetsDir?: string;
  /** Stages shown on the timeline and searched for histories. */
  stages?: number;
  log?: (line: string) => void;
};

export interface Dashboard {
  url: string;
  close(): Promise<void>;
}

/** The live state every page receives on connect and on every change. */
export type LiveState =
  | { up: true; overview: OverviewView }
  | { up: false; error: string; since: string; overview: OverviewView | null };

const MAX_EVENT_CLIENTS = 200;

/** The package root: the nearest folder above this module holding package.json. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("pocval dashboard: cannot find the package root");
    dir = up;
  }
  return dir;
}

export const defaultAssetsDir = (): string => join(packageRoot(), "dist", "dashboard-web");

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
};

/** Every file of the built page by URL path, read once: nothing outside it can be served. */
function loadAssets(dir: string): Map<string, { body: Buffer; type: string }> {
  if (!existsSync(join(dir, "index.html"))) {
    throw new Error(
      `pocval dashboard: the page is not built (${join(dir, "index.html")} is missing); run \`npm run build:dashboard\``,
    );
  }
  const files = new Map<string, { body: Buffer; type: string }>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else {
        const urlPath = `/${relative(dir, path).split("\\").join("/")}`;
        files.set(urlPath, {
          body: readFileSync(path),
          type: CONTENT_TYPES[extname(name)] ?? "application/octet-stream",
        });
      }
    }
  };
  walk(dir);
  return files;
}

const u64 = z
  .string()
  .regex(/^\d{1,20}$/, "must be a decimal block height")
  .transform((s) => BigInt(s))
  .refine((n) => n < 1n << 64n, "must fit in 64 bits");
const bech32Address = z.string().regex(/^pocval1[02-9ac-hj-np-z]{38,58}$/, "must be a pocval1... bech32 address");
const evmAddress = z.string().regex(EVM_ADDRESS_PATTERN, "must be a 0x address of 20 bytes");
const limitParam = z.object({
  limit: z.coerce
    .number()
    .int("limit must be an integer")
    .min(1, "limit must be >= 1")
    .max(200, "limit must be <= 200")
    .default(20),
});

/** A bad query parameter or path: answered 400. */
const badRequest = (message: string) => new HttpError(400, message);

/** Validates the query string: only `limit`, and within range. */
function parseLimit(url: URL): number {
  for (const key of url.searchParams.keys()) {
    if (key !== "limit") throw badRequest(`unknown query parameter "${key}" (only "limit" is accepted)`);
  }
  const raw = url.searchParams.get("limit");
  const parsed = limitParam.safeParse(raw === null ? {} : { limit: raw });
  if (!parsed.success) throw badRequest(parsed.error.issues.map((i) => i.message).join("; "));
  return parsed.data.limit;
}

function parsePath<T>(schema: z.ZodType<T>, raw: string, what: string): T {
  const parsed = schema.safeParse(decodeURIComponent(raw));
  if (!parsed.success) throw badRequest(`${what}: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
  return parsed.data;
}

/** API answers change every block: never cached. */
const json = (res: ServerResponse, status: number, body: unknown) =>
  sendJson(res, status, body, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });

/** Where the chain is read from, and how its addresses are spelled. */
interface ReaderOf {
  reader: ChainReader;
  source: string;
  address: typeof bech32Address;
}

/** The running dashboard's state: the functions below share it. */
interface DashboardState {
  opts: DashboardOptions;
  reader: ChainReader;
  source: string;
  address: typeof bech32Address;
  assets: Map<string, { body: Buffer; type: string }>;
  log: (line: string) => void;
  stages: number;
  clients: Set<ServerResponse>;
  live: LiveState;
  stopped: boolean;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Starts the dashboard on host:port and follows the node.
 * @example const d = await startDashboard({ nodeUrl: "http://127.0.0.1:26657", port: 8080 }); // d.url
 */
export async function startDashboard(opts: DashboardOptions): Promise<Dashboard> {
  const assets = loadAssets(opts.assetsDir ?? defaultAssetsDir());
  const d: DashboardState = {
    opts,
    ...(await openReader(opts)),
    assets,
    log: opts.log ?? (() => {}),
    stages: opts.stages ?? 20,
    clients: new Set(),
    live: { up: false, error: "connecting to the node", since: new Date().toISOString(), overview: null },
    stopped: false,
    timer: undefined,
  };
  const server = createServer((req, res) => handle(d, req, res));
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;

  const { host, port } = await listen(server, opts.host ?? "127.0.0.1", opts.port ?? 0);
  await poll(d);
  return {
    url: `http://${host}:${port}/`,
    async close() {
      d.stopped = true;
      clearTimeout(d.timer);
      for (const c of d.clients) c.end();
      d.clients.clear();
      d.reader.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The reader the options name: a PocvalTally contract (checked first), a given reader, or a Cosmos node. */
async function openReader(opts: DashboardOptions): Promise<ReaderOf> {
  if (opts.evm) {
    const evm = createEvmChainReader(opts.evm);
    // A reachable node without the contract is a wrong address, not an outage: refuse to start.
    await evm.checkContract().catch((err: unknown) => {
      if (err instanceof NodeUnreachableError) return;
      evm.close();
      throw err;
    });
    return {
      reader: evm,
      source: `EVM node ${opts.evm.rpcUrl} (PocvalTally ${opts.evm.contract})`,
      address: evmAddress,
    };
  }
  if (opts.reader) {
    return { reader: opts.reader, source: opts.label, address: opts.addresses === "evm" ? evmAddress : bech32Address };
  }
  return { reader: createChainReader(opts.nodeUrl), source: `node ${opts.nodeUrl}`, address: bech32Address };
}

function broadcast(d: DashboardState): void {
  const frame = `event: state\ndata: ${JSON.stringify(d.live)}\n\n`;
  for (const c of d.clients) c.write(frame);
}

/** One poll feeds every page: a new height brings a new overview, a failure the banner. */
async function poll(d: DashboardState): Promise<void> {
  const { reader, source, log } = d;
  try {
    const height = await reader.height();
    if (!d.live.up || d.live.overview.current_height !== height.toString()) {
      const overview = await reader.overview(d.stages);
      if (!d.live.up) log(`${source} reachable at height ${overview.current_height}`);
      d.live = { up: true, overview };
      broadcast(d);
    }
  } catch (err) {
    const message = err instanceof NodeUnreachableError ? err.message : `node error: ${(err as Error).message}`;
    const state = d.live;
    if (state.up || state.error !== message) {
      if (state.up) log(`${source} unreachable: ${message}`);
      d.live = {
        up: false,
        error: message,
        since: state.up ? new Date().toISOString() : state.since,
        overview: state.overview,
      };
      broadcast(d);
    }
  } finally {
    if (!d.stopped) d.timer = setTimeout(() => void poll(d), d.opts.pollMs ?? 1000);
  }
}

/** Every request: the API, the live event stream, or a file of the built page. */
function handle(d: DashboardState, req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? "/", "http://dashboard.invalid");
  if (req.method !== "GET" && req.method !== "HEAD") return json(res, 405, { error: "only GET" });
  if (url.pathname === "/api/events") return events(d, req, res);
  if (url.pathname.startsWith("/api/")) {
    api(d, url, res).catch((err: unknown) => {
      if (err instanceof HttpError) return json(res, err.status, { error: err.message });
      if (err instanceof NotFoundError) return json(res, 404, { error: err.message });
      if (err instanceof NodeUnreachableError || err instanceof NoContractError) {
        return json(res, 503, { error: err.message });
      }
      d.log(`dashboard: ${(err as Error).stack ?? String(err)}`);
      return json(res, 500, { error: "internal error" });
    });
    return;
  }
  const file = d.assets.get(url.pathname === "/" ? "/index.html" : url.pathname);
  if (!file) return json(res, 404, { error: `not found: ${url.pathname}` });
  res.writeHead(200, {
    "content-type": file.type,
    "content-length": file.body.length,
    "cache-control": url.pathname.startsWith("/assets/") ? "public, max-age=31536000, immutable" : "no-cache",
    "content-security-policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
    "x-content-type-options": "nosniff",
  });
  res.end(req.method === "HEAD" ? undefined : file.body);
}

async function api(d: DashboardState, url: URL, res: ServerResponse): Promise<void> {
  const { reader, address } = d;
  const parts = url.pathname.split("/").filter(Boolean); // ["api", ...]
  const route = parts[1];
  if (route === "state" && parts.length === 2) {
    parseLimit(url);
    return json(res, 200, d.live);
  }
  if (route === "overview" && parts.length === 2) return json(res, 200, await reader.overview(parseLimit(url)));
  if (route === "stages" && parts.length === 3) {
    parseLimit(url);
    return json(res, 200, await reader.stage(parsePath(u64, parts[2]!, "stage height")));
  }
  if (route === "participants" && parts.length === 3) {
    return json(res, 200, await reader.participant(parsePath(address, parts[2]!, "participant"), parseLimit(url)));
  }
  if (route === "validators" && parts.length === 3) {
    return json(res, 200, await reader.validator(parsePath(address, parts[2]!, "validator"), parseLimit(url)));
  }
  return json(res, 404, { error: `no such API route: ${url.pathname}` });
}

/** The live event stream: the state now, then every change. */
function events(d: DashboardState, req: IncomingMessage, res: ServerResponse) {
  if (d.clients.size >= MAX_EVENT_CLIENTS) return json(res, 503, { error: "too many live connections" });
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-store",
    connection: "keep-alive",
  });
  res.write(`retry: 2000\nevent: state\ndata: ${JSON.stringify(d.live)}\n\n`);
  d.clients.add(res);
  req.on("close", () => d.clients.delete(res));
}
