// Starting an HTTP server on a host and port, and answering malformed requests.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Where a server listens, as host (IPv6 in brackets) and port. */
export interface ListenAddress {
  host: string;
  port: number;
}

/**
 * Starts an HTTP server listening (port 0 picks a free one) and resolves with the address it got,
 * or rejects with the listen error (EADDRINUSE, EACCES) instead of crashing the process.
 * @example const { host, port } = await listen(server, "127.0.0.1", 0); // url: `http://${host}:${port}`
 */
export async function listen(server: Server, host: string, port: number): Promise<ListenAddress> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return { host: address.family === "IPv6" ? `[${address.address}]` : address.address, port: address.port };
}

/**
 * Answers a malformed or timed-out request on the raw socket, as Node leaves it to the server:
 * 408 when the request took longer than `requestTimeout` or `headersTimeout` (a slow drip),
 * else 400, and closes the connection.
 * @example answerClientErrors(createServer(handler));
 */
export function answerClientErrors(server: Server): void {
  server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
    const status = err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? "408 Request Timeout" : "400 Bad Request";
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
    else socket.destroy();
  });
}
