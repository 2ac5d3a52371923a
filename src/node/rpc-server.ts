// The node's RPC server: JSON-RPC over HTTP and websocket, with limits so a slow or stalled
// client cannot hold memory.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { type WebSocket, WebSocketServer } from "ws";
import { type CommittedBlock, MAX_TX_BYTES, txHash } from "../app/index.js";
import { answerClientErrors, listen } from "../net/index.js";
import {
  attributesObject,
  blockAttributes,
  blockIdJson,
  blockJson,
  blockResultsJson,
  headerJson,
  txAttributes,
  txResultJson,
} from "./comet-json.js";
import { type Condition, matches, parseQuery, QuerySyntaxError } from "./query-language.js";
import { methods, namedParams, type RpcBackend, RpcCode, RpcError } from "./rpc-methods.js";

/** Largest HTTP or websocket request body: a maximal tx in base64 plus the JSON around it. */
export const MAX_BODY_BYTES = Math.ceil((MAX_TX_BYTES * 4) / 3) + 64 * 1024;
const MAX_BATCH = 100;

/** What one RPC server holds at most, and for how long: a slow or stalled client cannot hold memory. */
export interface RpcLimits {
  /** A request whose headers are not complete after this many ms is answered 408 and closed. */
  headersTimeoutMs: number;
  /** A request (headers and body) not complete after this many ms is answered 408 and closed. */
  requestTimeoutMs: number;
  /** A connection with no traffic for this many ms is closed (websockets are exempt: they idle). */
  idleTimeoutMs: number;
  /** Open connections, HTTP and websocket together; more are refused at once. */
  maxConnections: number;
  /** Open websockets; more are refused with HTTP 503. */
  maxWebsockets: number;
  /** Subscriptions on one websocket. */
  maxSubscriptionsPerClient: number;
  /** Bytes queued to one websocket and not yet taken by its reader; beyond this it is dropped. */
  maxBufferedBytes: number;
  /** Bytes of unfinished request bodies held over all connections; beyond, requests get HTTP 503. */
  maxPendingBodyBytes: number;
  /** How often the server checks the header and request deadlines (Node's default is 30 s). */
  checkIntervalMs: number;
}

export const DEFAULT_RPC_LIMITS: RpcLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  // Above broadcast_tx_commit's wait, during which the connection is silent.
  idleTimeoutMs: 60_000,
  maxConnections: 256,
  maxWebsockets: 64,
  maxSubscriptionsPerClient: 100,
  maxBufferedBytes: 2 << 20,
  maxPendingBodyBytes: 64 << 20,
  checkIntervalMs: 1_000,
};

type Id = string | number | null;
const response = (id: Id, result: unknown) => ({ jsonrpc: "2.0", id, result });
const errorResponse = (id: Id, err: RpcError) => ({ jsonrpc: "2.0", id, error: err.toJson() });

function asRpcError(err: unknown): RpcError {
  if (err instanceof RpcError) return err;
  return new RpcError(RpcCode.internal, err instanceof Error ? err.message : String(err));
}

/** JSON with bigints as decimal strings (nothing here should carry one, but never crash on it). */
const stringify = (value: unknown): string =>
  JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v));

function validId(id: unknown): id is Id {
  return id === null || typeof id === "string" || (typeof id === "number" && Number.isFinite(id));
}

/** Handles one decoded JSON-RPC request object; never throws. */
async function handleRequest(backend: RpcBackend, request: unknown, ws?: Subscriber): Promise<object | undefined> {
  if (typeof request !== "object" || request === null || Array.isArray(request)) {
    return errorResponse(null, new RpcError(RpcCode.invalidRequest, "a request must be a JSON object"));
  }
  const r = request as Record<string, unknown>;
  const id = validId(r.id) ? r.id : null;
  if (r.jsonrpc !== "2.0" || typeof r.method !== "string") {
    return errorResponse(id, new RpcError(RpcCode.invalidRequest, 'needs jsonrpc "2.0" and a string method'));
  }
  try {
    const params = namedParams(r.method, r.params);
    if (r.method === "subscribe" || r.method === "unsubscribe" || r.method === "unsubscribe_all") {
      if (!ws)
        throw new RpcError(RpcCode.methodNotFound, `${r.method} is only available over the websocket at /websocket`);
      return response(id, ws.handle(r.method, params, id));
    }
    const method = Object.hasOwn(methods, r.method) ? methods[r.method] : undefined;
    if (!method) throw new RpcError(RpcCode.methodNotFound, `unknown method ${r.method}`);
    return response(id, await method(backend, params));
  } catch (err) {
    return errorResponse(id, asRpcError(err));
  }
}

/** Parses a body (one request or a batch) and answers it. */
async function handleBody(backend: RpcBackend, body: string, ws?: Subscriber): Promise<unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    return errorResponse(null, new RpcError(RpcCode.parse, `invalid JSON: ${(err as Error).message}`));
  }
  if (Array.isArray(parsed)) {
    if (parsed.length === 0 || parsed.length > MAX_BATCH) {
      return errorResponse(null, new RpcError(RpcCode.invalidRequest, `a batch holds 1 to ${MAX_BATCH} requests`));
    }
    // Started in order (CheckTx runs synchronously at the start of each), answered together.
    return Promise.all(parsed.map((item) => handleRequest(backend, item, ws)));
  }
  return handleRequest(backend, parsed, ws);
}

/** URI form: GET /method?name=value, strings in double quotes, numbers bare, bytes as 0x-hex. */
function uriParams(url: URL): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, raw] of url.searchParams) {
    out[key] = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
  }
  return out;
}

/** One websocket connection's subscriptions. */
interface Subscriber {
  handle(method: string, params: Record<string, unknown>, id: Id): object;
  deliver(attrs: Map<string, string[]>, data: object): void;
  clear(): void;
}

function subscriber(socket: WebSocket, limits: RpcLimits, onSlow: () => void): Subscriber {
  const subs = new Map<string, { id: Id; conditions: Condition[] }>();
  return {
    handle(method, params, id) {
      if (method === "unsubscribe_all") {
        subs.clear();
        return {};
      }
      const query = params.query;
      if (typeof query !== "string") throw new RpcError(RpcCode.invalidParams, "query: must be a string");
      if (method === "unsubscribe") {
        if (!subs.delete(query)) throw new RpcError(RpcCode.internal, "subscription not found");
        return {};
      }
      if (subs.has(query)) throw new RpcError(RpcCode.internal, "already subscribed");
      if (subs.size >= limits.maxSubscriptionsPerClient) {
        throw new RpcError(
          RpcCode.internal,
          `max subscriptions per client reached: ${limits.maxSubscriptionsPerClient}`,
        );
      }
      try {
        subs.set(query, { id, conditions: parseQuery(query) });
      } catch (err) {
        if (err instanceof QuerySyntaxError) throw new RpcError(RpcCode.invalidParams, err.message);
        throw err;
      }
      return {};
    },
    deliver(attrs, data) {
      for (const [query, sub] of subs) {
        if (socket.readyState !== socket.OPEN) return;
        if (!matches(sub.conditions, attrs)) continue;
        // A reader that does not keep up would make us queue every event for it, without end.
        if (socket.bufferedAmount > limits.maxBufferedBytes) {
          onSlow();
          return;
        }
        socket.send(stringify(response(sub.id, { query, data, events: attributesObject(attrs) })));
      }
    },
    clear: () => subs.clear(),
  };
}

export interface RpcServer {
  url: string;
  /** Sends NewBlock, NewBlockHeader and Tx events of a committed block to matching subscriptions. */
  publish(committed: CommittedBlock): void;
  close(): Promise<void>;
}

/** Serves the CometBFT JSON-RPC on host:port (HTTP POST `/`, GET `/<method>`, websocket `/websocket`). */
export async function startRpcServer(
  backend: Omit<RpcBackend, "listenAddr" | "nodeId">,
  opts: { host: string; port: number; nodeId: string; limits?: Partial<RpcLimits>; log?: (line: string) => void },
): Promise<RpcServer> {
  const limits: RpcLimits = { ...DEFAULT_RPC_LIMITS, ...opts.limits };
  const full: RpcBackend = { ...backend, listenAddr: "", nodeId: opts.nodeId };
  const server = httpServer(full, limits);
  const { wss, subscribers } = serveWebsockets(server, full, limits, opts.log ?? (() => {}));
  const { host: hostForUrl, port } = await listen(server, opts.host, opts.port);
  full.listenAddr = `tcp://${hostForUrl}:${port}`;
  return {
    url: `http://${hostForUrl}:${port}`,
    publish(committed) {
      if (subscribers.size === 0) return;
      const events = blockEvents(committed);
      for (const sub of subscribers) {
        for (const e of events) sub.deliver(e.attrs, e.data);
      }
    },
    async close() {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(stringify(body));
}

/** The HTTP server: GET in the URI form, POST bodies under the size and unfinished-bytes limits. */
function httpServer(full: RpcBackend, limits: RpcLimits): Server {
  // Bytes of request bodies received but not yet complete, over all connections.
  const pending = { bytes: 0 };
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: limits.checkIntervalMs,
    },
    (req: IncomingMessage, res: ServerResponse) => {
      if (req.method === "GET") serveGet(full, req, res);
      else if (req.method === "POST") servePost(full, limits, pending, req, res);
      else
        send(res, 405, errorResponse(null, new RpcError(RpcCode.invalidRequest, `HTTP ${req.method} is not served`)));
    },
  );
  server.maxConnections = limits.maxConnections;
  // Idle sockets are closed; a websocket's socket has this reset to none by ws on upgrade.
  server.timeout = limits.idleTimeoutMs;
  // Idle keep-alive sockets live as long as any idle socket: closing them after 5 s raced clients on a
  // busy machine (a query sent on a socket the server was closing failed with ECONNRESET).
  server.keepAliveTimeout = limits.idleTimeoutMs;
  answerClientErrors(server);
  return server;
}

/** GET / lists the methods; GET /<method>?name=value calls one. */
function serveGet(full: RpcBackend, req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? "/", "http://localhost");
  const name = url.pathname.slice(1);
  if (name === "" || name === "websocket") {
    send(res, 200, { methods: [...Object.keys(methods), "subscribe", "unsubscribe", "unsubscribe_all"] });
    return;
  }
  void handleRequest(full, { jsonrpc: "2.0", id: -1, method: name, params: uriParams(url) }).then((out) =>
    send(res, 200, out),
  );
}

/** A POST body, collected under MAX_BODY_BYTES and the server-wide budget of unfinished bytes. */
function servePost(
  full: RpcBackend,
  limits: RpcLimits,
  pending: { bytes: number },
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let refused = false;
  let counted = 0; // this body's share of pending.bytes
  const uncount = () => {
    pending.bytes -= counted;
    counted = 0;
  };
  const refuse = (status: number, message: string) => {
    refused = true;
    chunks.length = 0;
    uncount();
    // The rest of the body may still be streaming in: close rather than drain it.
    res.setHeader("Connection", "close");
    send(res, status, errorResponse(null, new RpcError(RpcCode.invalidRequest, message)));
    res.on("finish", () => req.destroy());
  };
  req.on("data", (chunk: Buffer) => {
    if (refused) return;
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return refuse(413, `request body exceeds ${MAX_BODY_BYTES} bytes`);
    if (pending.bytes + chunk.length > limits.maxPendingBodyBytes) {
      return refuse(503, `the server holds ${limits.maxPendingBodyBytes} bytes of unfinished bodies; retry later`);
    }
    pending.bytes += chunk.length;
    counted += chunk.length;
    chunks.push(chunk);
  });
  req.on("end", () => {
    if (refused) return;
    const body = Buffer.concat(chunks).toString("utf8");
    uncount();
    void handleBody(full, body).then((out) => send(res, 200, out));
  });
  // A body that never completes (timeout, client gone) gives its bytes back.
  req.on("close", uncount);
  req.on("error", () => res.destroy());
}

/** The websocket at /websocket: requests like POST bodies, plus subscriptions; slow readers dropped. */
function serveWebsockets(
  server: Server,
  full: RpcBackend,
  limits: RpcLimits,
  log: (line: string) => void,
): { wss: WebSocketServer; subscribers: Set<Subscriber> } {
  const wss = new WebSocketServer({
    server,
    path: "/websocket",
    maxPayload: MAX_BODY_BYTES,
    verifyClient: (_info, done) => {
      if (wss.clients.size < limits.maxWebsockets) done(true);
      else done(false, 503, `at most ${limits.maxWebsockets} websockets are served`);
    },
  });
  const subscribers = new Set<Subscriber>();
  wss.on("connection", (socket, req) => {
    const sub = subscriber(socket, limits, () => {
      log(
        `websocket ${req.socket.remoteAddress}:${req.socket.remotePort} dropped: ${socket.bufferedAmount} bytes unread (limit ${limits.maxBufferedBytes})`,
      );
      sub.clear();
      subscribers.delete(sub);
      // 1008 policy violation; terminate rather than close, a close frame would queue behind the backlog.
      socket.terminate();
    });
    subscribers.add(sub);
    socket.on("message", (data) => {
      void handleBody(full, data.toString(), sub).then((out) => {
        if (socket.readyState === socket.OPEN && out !== undefined) socket.send(stringify(out));
      });
    });
    socket.on("close", () => {
      sub.clear();
      subscribers.delete(sub);
    });
    socket.on("error", () => socket.terminate());
  });
  return { wss, subscribers };
}

/** A committed block's events as subscribers see them: NewBlock, NewBlockHeader, then each Tx. */
function blockEvents(committed: CommittedBlock): { attrs: Map<string, string[]>; data: object }[] {
  const { block, results } = committed;
  const newBlock = {
    type: "tendermint/event/NewBlock",
    value: {
      block: blockJson(block),
      block_id: blockIdJson(block.hash),
      result_finalize_block: blockResultsJson(
        block.height,
        block.header.appHash,
        results,
        committed.beginEvents,
        committed.endEvents,
      ),
    },
  };
  const newHeader = { type: "tendermint/event/NewBlockHeader", value: { header: headerJson(block.header) } };
  const txEvents = block.txs.map((tx, index) => {
    const result = results[index]!;
    return {
      attrs: txAttributes(txHash(tx), block.height, result),
      data: {
        type: "tendermint/event/Tx",
        value: {
          TxResult: {
            height: block.height.toString(),
            index,
            tx: Buffer.from(tx).toString("base64"),
            result: txResultJson(result),
          },
        },
      },
    };
  });
  return [
    { attrs: blockAttributes(committed, "NewBlock"), data: newBlock },
    { attrs: blockAttributes(committed, "NewBlockHeader"), data: newHeader },
    ...txEvents,
  ];
}
