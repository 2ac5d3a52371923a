import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { acquirePidLock, PidLockedError } from "../../src/fs/pid-lock.js";
import { raceChildren } from "./race.js";

const dir = mkdtempSync(join(tmpdir(), "pocval-lock-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const child = fileURLToPath(new URL("./fixtures/lock-at.ts", import.meta.url));

/** A pid that no process has any more. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(r.stdout);
}

describe("pid lock", () => {
  it("refuses a second holder while a live process holds it, and frees it on release", () => {
    const path = join(dir, "live.lock");
    const release = acquirePidLock(path);
    expect(readFileSync(path, "utf8").trim()).toBe(String(process.pid));
    // The same process asking again is refused too (two nodes in one process must not share a home).
    expect(() => acquirePidLock(path)).toThrow(PidLockedError);
    release();
    expect(existsSync(path)).toBe(false);
    // A live process other than this one: the parent of this test worker.
    writeFileSync(path, `${process.ppid}\n`);
    expect(() => acquirePidLock(path, { what: "data directory /x", hint: "stop it" })).toThrow(
      `data directory /x is in use by process ${process.ppid}; stop it`,
    );
    rmSync(path);
  });

  it("takes over a lock left by a dead process, and one holding our own pid that we do not hold", () => {
    const path = join(dir, "stale.lock");
    writeFileSync(path, `${deadPid()}\n`);
    const release = acquirePidLock(path);
    expect(readFileSync(path, "utf8").trim()).toBe(String(process.pid));
    release();
    // A pid reused by us after a restart (containers): not ours to honour.
    writeFileSync(path, `${process.pid}\n`);
    acquirePidLock(path)();
    // Empty and old: its creator died between create and write.
    writeFileSync(path, "");
    const old = new Date(Date.now() - 60_000);
    utimesSync(path, old, old);
    acquirePidLock(path)();
    expect(existsSync(path)).toBe(false);
  });

  it("lets exactly one of several processes started together take a stale lock", async () => {
    for (let round = 0; round < 2; round++) {
      const path = join(dir, `race-${round}.lock`);
      writeFileSync(path, `${deadPid()}\n`);
      const release = join(dir, `race-${round}.release`);
      const race = await raceChildren(child, [path, release], 5, join(dir, `race-${round}.go`));
      writeFileSync(release, "");
      await race.exited();
      const lines = race.outcomes;
      expect(
        lines.filter((l) => l === "won"),
        lines.join("\n"),
      ).toHaveLength(1);
      expect(lines.filter((l) => l.startsWith("lost: ") && l.includes("is in use by process"))).toHaveLength(4);
      expect(existsSync(path)).toBe(false);
    }
  }, 120_000);
});
