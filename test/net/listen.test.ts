import { createServer } from "node:http";
import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { answerClientErrors, listen } from "../../src/net/listen.js";

/** Sends raw bytes and resolves with everything the server writes back before it closes. */
function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(bytes));
    let answer = "";
    socket.on("data", (d) => {
      answer += d.toString();
    });
    socket.on("close", () => resolve(answer));
    socket.on("error", reject);
  });
}

describe("answerClientErrors", () => {
  it("answers 408 to a body that stops arriving and 400 to a malformed request", async () => {
    // A short request timeout, checked often, so that the slow drip is cut within the test.
    const server = createServer({ connectionsCheckingInterval: 50 }, (req, res) => {
      // Answers only once the whole body has arrived, as the project's servers do.
      req.on("end", () => res.end("ok"));
      req.resume();
    });
    server.requestTimeout = 300;
    server.headersTimeout = 300;
    answerClientErrors(server);
    const { port } = await listen(server, "127.0.0.1", 0);
    try {
      const stalled = await rawExchange(port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly a part");
      expect(stalled).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      const malformed = await rawExchange(port, "NOT HTTP AT ALL\r\n\r\n");
      expect(malformed).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
