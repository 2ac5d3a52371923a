import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { logLine } from "../../src/net/log.js";
import { jsonLineEventLog } from "../../src/participant/index.js";
import { createLogger } from "../../src/sidecar/index.js";

describe("one log line format", () => {
  it("encodes bigints, errors and bytes, and fields cannot replace the fixed keys", () => {
    const line = logLine("warn", "stage_done", {
      stage_height: 40n,
      error: new TypeError("boom"),
      root: new Uint8Array([0xab, 0x01]),
      level: "error",
      msg: "spoofed",
    });
    expect(line.endsWith("\n")).toBe(true);
    const o = JSON.parse(line);
    expect(Object.keys(o).slice(0, 3)).toEqual(["time", "level", "msg"]);
    expect(Number.isNaN(Date.parse(o.time))).toBe(false);
    expect(o).toMatchObject({
      level: "warn",
      msg: "stage_done",
      stage_height: "40",
      error: { name: "TypeError", message: "boom" },
      root: "ab01",
    });
  });

  it("the sidecar's and the participant's loggers write the same keys", () => {
    const sidecarLines: string[] = [];
    const stream = new Writable({
      write(chunk, _enc, done) {
        sidecarLines.push(String(chunk));
        done();
      },
    });
    createLogger({ level: "debug", progress: "off", stream }).warn("chain_retry", { attempt: 2n });
    const participantLines: string[] = [];
    jsonLineEventLog((l) => participantLines.push(l), { component: "participant" })("chain_retry", {
      level: "warn",
      attempt: 2n,
    });
    const a = JSON.parse(sidecarLines[0]!);
    const b = JSON.parse(participantLines[0]!);
    expect({ ...a, time: 0 }).toEqual({ time: 0, level: "warn", msg: "chain_retry", attempt: "2" });
    expect({ ...b, time: 0 }).toEqual({
      time: 0,
      level: "warn",
      msg: "chain_retry",
      component: "participant",
      attempt: "2",
    });
  });
});
