import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/sidecar/index.js";
import { devNull } from "./integration-helpers.js";

describe("createLogger", () => {
  it("writes JSON lines with bigints as strings and draws the progress line only on a terminal", () => {
    const out: string[] = [];
    const stream = Object.assign(devNull(), { isTTY: true, columns: 40 });
    stream.write = (chunk: string) => {
      out.push(chunk);
      return true;
    };
    const tty = createLogger({ level: "info", progress: "auto", stream });
    tty.progress("height 10 | stage 0: 1/2");
    tty.info("decided", { stage: 10n, hash: new Uint8Array([1, 2]) });
    tty.debug("hidden");
    expect(out[0]).toBe("height 10 | stage 0: 1/2");
    const line = out.find((l) => l.startsWith("{"))!;
    expect(JSON.parse(line)).toMatchObject({ level: "info", msg: "decided", stage: "10", hash: "0102" });
    expect(out.at(-1)).toBe("height 10 | stage 0: 1/2");
    expect(out.join("")).not.toContain("hidden");
    const plain: string[] = [];
    const pipe = Object.assign(devNull(), { isTTY: false });
    pipe.write = (chunk: string) => {
      plain.push(chunk);
      return true;
    };
    createLogger({ level: "info", progress: "auto", stream: pipe }).progress("not shown");
    expect(plain).toEqual([]);
  });
});
