// The ABCI socket server: CometBFT opens four connections (consensus, mempool, query, snapshot),
// each a stream of length-prefixed Requests answered in order. Node runs one request at a time,
// so the connections share the app without locks.

import { rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { Request, Response } from "cosmjs-types/tendermint/abci/types";
import { PocvalError } from "../core/index.js";
import { formatHostPort, parseHostPort } from "../net/index.js";
import type { AbciApp } from "./app.js";
import { FrameReader, frame } from "./framing.js";

export const DEFAULT_ABCI_LISTEN = "tcp://127.0.0.1:26658";

export class AbciListenError extends PocvalError {
  override name = "AbciListenError";
}

export type ListenAddress = { kind: "tcp"; host: string; port: number } | { kind: "unix"; path: string };

/** "tcp://HOST:PORT", "HOST:PORT" or "unix:///path" (CometBFT's proxy_app forms). */
export function parseListenAddress(value: string): ListenAddress {
  if (value.startsWith("unix://")) {
    const path = value.slice("unix://".length);
    if (!path.startsWith("/")) throw new AbciListenError(`listen: "${value}" must be unix:///absolute/path`);
    return { kind: "unix", path };
  }
  const tcp = parseHostPort(value.startsWith("tcp://") ? value.slice("tcp://".length) : value);
  if (!tcp) throw new AbciListenError(`listen: "${value}" must be tcp://HOST:PORT (port 0..65535) or unix:///path`);
  return { kind: "tcp", ...tcp };
}

export interface AbciServer {
  /** tcp://HOST:PORT (the bound port) or unix:///path: what CometBFT's proxy_app should name. */
  address: string;
  /** Connections currently open. */
  connections(): number;
  close(): Promise<void>;
}

/** Serves app on the address; a request the app cannot answer gets an exception response (CometBFT stops). */
export async function startAbciServer(
  app: AbciApp,
  listen: string,
  opts: { log?: (line: string) => void } = {},
): Promise<AbciServer> {
  const log = opts.log ?? (() => {});
  const address = parseListenAddress(listen);
  const sockets = new Set<Socket>();

  const serve = (socket: Socket) => {
    sockets.add(socket);
    const reader = new FrameReader();
    socket.on("data", (chunk) => {
      let messages: Uint8Array[];
      try {
        messages = reader.push(chunk);
      } catch (err) {
        log(`abci: dropping a connection: ${(err as Error).message}`);
        socket.destroy();
        return;
      }
      if (messages.length === 0) return;
      socket.cork();
      for (const bytes of messages) {
        let response: Response;
        try {
          response = app.handle(Request.decode(bytes));
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          log(`abci: exception: ${message}`);
          response = { exception: { error: message } };
        }
        socket.write(frame(Response.encode(response).finish()));
      }
      socket.uncork();
    });
    socket.on("error", (err) => log(`abci: connection error: ${err.message}`));
    socket.on("close", () => sockets.delete(socket));
  };

  const server: Server = createServer(serve);
  if (address.kind === "unix") rmSync(address.path, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err) =>
      reject(new AbciListenError(`cannot listen on ${listen}: ${err.message}`, { cause: err })),
    );
    if (address.kind === "unix") server.listen(address.path, resolve);
    else server.listen(address.port, address.host, resolve);
  });
  const bound = server.address();
  const url =
    address.kind === "unix"
      ? `unix://${address.path}`
      : `tcp://${formatHostPort({ host: address.host, port: typeof bound === "object" && bound ? bound.port : address.port })}`;
  return {
    address: url,
    connections: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
