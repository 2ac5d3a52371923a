import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DataDirLockedError, lockDataDir } from "../../src/participant/lock.js";
import { tempDir } from "./helpers.js";

const temp = tempDir();
afterAll(() => temp.remove());

describe("data directory lock", () => {
  it("refuses a second holder while a live process holds it, and frees it on release", () => {
    const dir = join(temp.dir, "live");
    const release = lockDataDir(dir);
    // The lock names a live process other than this one: the parent of this test worker.
    writeFileSync(join(dir, "agent.lock"), `${process.ppid}\n`);
    expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
    expect(() => lockDataDir(dir)).toThrow(new RegExp(`in use by process ${process.ppid}`));
    release();
    expect(existsSync(join(dir, "agent.lock"))).toBe(false);
    lockDataDir(dir)();
  });

  it("takes over a lock left by a process that died", () => {
    const dir = join(temp.dir, "stale");
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    lockDataDir(dir)();
    writeFileSync(join(dir, "agent.lock"), `${dead.stdout}\n`);
    const release = lockDataDir(dir);
    expect(existsSync(join(dir, "agent.lock"))).toBe(true);
    release();
  });
});
