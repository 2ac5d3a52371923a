// Helpers of the sidecar's localnet tests.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";

export function tempDir(prefix = "pocval-sidecar-"): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Polls check() until it returns a value. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A stream that drops what it is given (quiet logs in tests). */
export function devNull(): Writable {
  return new Writable({ write: (_chunk, _enc, cb) => cb() });
}

/** A stream that keeps each written line (a logger's output in tests). */
export function collectLines(lines: string[]): Writable {
  return new Writable({
    write: (chunk: Buffer, _enc, cb) => {
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim() !== "") lines.push(line);
      cb();
    },
  });
}
