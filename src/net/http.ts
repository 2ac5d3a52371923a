// The small pieces every JSON server of the project shares: a refusal with its status, a body
// read under a byte cap, a JSON body parsed, and a JSON answer. The node's RPC server keeps its
// own reader because it also accounts unfinished bodies across connections (a flood guard).
import type { IncomingMessage, ServerResponse } from "node:http";
import { PocvalError } from "../core/index.js";

/** A refusal: the HTTP status and the message (naming the field) a server answers as `{error}`. */
export class HttpError extends PocvalError {
  override name = "HttpError";
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The whole body, refused with 413 as soon as it (or its declared length) passes maxBytes. */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new HttpError(413, `(body): ${declared} bytes exceeds the limit of ${maxBytes}`);
  }
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new HttpError(413, `(body): exceeds the limit of ${maxBytes} bytes`);
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

/** The body as text and parsed JSON; text that is not JSON is a 400. */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<{ text: string; json: unknown }> {
  const text = (await readBody(req, maxBytes)).toString("utf8");
  try {
    return { text, json: JSON.parse(text) };
  } catch {
    throw new HttpError(400, "(body): not valid JSON");
  }
}

/** Answers JSON with its length; a response already under way is cut instead (its status is gone). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | number> = {},
): void {
  if (res.destroyed) return;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}
