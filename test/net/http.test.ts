import { createServer, request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpError, readJsonBody, sendJson } from "../../src/net/http.js";
import { listen } from "../../src/net/listen.js";

// A real server on loopback that echoes the parsed body, capped at 64 bytes, through net/http.
const server = createServer((req, res) => {
  readJsonBody(req, 64)
    .then(({ text, json }) => sendJson(res, 200, { text, json }, { "x-echo": "1" }))
    .catch((err: unknown) => {
      if (err instanceof HttpError) sendJson(res, err.status, { error: err.message }, { connection: "close" });
      else sendJson(res, 500, { error: String(err) });
    });
});
let base = "";

beforeAll(async () => {
  const { host, port } = await listen(server, "127.0.0.1", 0);
  base = `http://${host}:${port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Posts body in the given chunks without a content-length (chunked), so the cap is met while streaming. */
function postChunked(chunks: string[]): Promise<{ status: number; body: unknown; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/`, { method: "POST" }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        text += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text), headers: res.headers }));
    });
    req.on("error", reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

describe("net/http", () => {
  it("parses a JSON body and answers JSON with its length and extra headers", async () => {
    const res = await fetch(base, { method: "POST", body: '{"a":[1,2]}' });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("x-echo")).toBe("1");
    const text = await res.text();
    expect(Number(res.headers.get("content-length"))).toBe(Buffer.byteLength(text));
    expect(JSON.parse(text)).toEqual({ text: '{"a":[1,2]}', json: { a: [1, 2] } });
  });

  it("refuses a body that is not JSON with 400", async () => {
    const res = await fetch(base, { method: "POST", body: "{not json" });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "(body): not valid JSON" });
  });

  it("refuses a declared length over the cap, and a streamed body that passes it, with 413", async () => {
    const declared = await fetch(base, { method: "POST", body: "x".repeat(65) });
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as { error: string }).error).toBe("(body): 65 bytes exceeds the limit of 64");
    const streamed = await postChunked(["[", `"${"y".repeat(40)}",`, `"${"z".repeat(40)}"]`]);
    expect(streamed.status).toBe(413);
    expect(streamed.body).toEqual({ error: "(body): exceeds the limit of 64 bytes" });
    // Exactly at the cap is accepted.
    const atCap = `"${"w".repeat(62)}"`;
    expect(Buffer.byteLength(atCap)).toBe(64);
    expect((await postChunked([atCap.slice(0, 10), atCap.slice(10)])).status).toBe(200);
  });
});
