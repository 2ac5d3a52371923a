// The localnet's ports: never handed out twice in one process, below the kernel's ephemeral
// range, and a child that loses its port to another process is started again on a fresh one.

import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createSupervisor } from "../../src/localnet/index.js";
import { accepts, ephemeralRange, freePort, startBound } from "../../src/localnet/ports.js";

const runDir = mkdtempSync(join(tmpdir(), "pocval-ports-"));
mkdirSync(join(runDir, "logs"));
afterAll(() => rmSync(runDir, { recursive: true, force: true }));

// A child that listens on the port it is given, as `pocval abci start --listen` does.
const listener = (port: number) => [
  "-e",
  `require("node:net").createServer().listen(${port}, "127.0.0.1", () => console.log("listening on ${port}"));`,
];

describe("localnet ports", () => {
  it("hands out 500 distinct ports in one process, none in the kernel's ephemeral range", async () => {
    const ports: number[] = [];
    for (let i = 0; i < 500; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(500);
    const [lo, hi] = ephemeralRange();
    if (lo - 20_000 >= 1000) expect(ports.filter((p) => p >= lo && p <= hi)).toEqual([]);
  });

  it("starts a child again on a fresh port when another process took its port (a forced collision)", async () => {
    const supervisor = createSupervisor(runDir);
    const taken = await freePort();
    const squatter: Server = createServer();
    await new Promise<void>((r) => squatter.listen(taken, "127.0.0.1", () => r()));
    const launched: number[] = [];
    try {
      const port = await startBound({
        supervisor,
        name: "app-0",
        port: taken,
        timeoutMs: 20_000,
        launch: (p) => {
          launched.push(p);
          return supervisor.startProgram("app-0", process.execPath, listener(p), {}, { probation: true });
        },
      });
      expect(launched[0]).toBe(taken);
      expect(launched.length).toBe(2);
      expect(port).toBe(launched[1]);
      expect(port).not.toBe(taken);
      expect(await accepts(port)).toBe(true);
      expect(supervisor.tail("app-0")).toMatch(/EADDRINUSE/);
      // The lost start was on probation: it is no failure of the run.
      const failed = await Promise.race([
        supervisor.failed.then(
          () => true,
          () => true,
        ),
        Promise.resolve(false),
      ]);
      expect(failed).toBe(false);
    } finally {
      squatter.close();
      await supervisor.stopAll();
    }
  });

  it("fails with the child's log when it exits for another reason than a taken port", async () => {
    const supervisor = createSupervisor(runDir);
    try {
      await expect(
        startBound({
          supervisor,
          name: "app-1",
          timeoutMs: 20_000,
          launch: () =>
            supervisor.startProgram(
              "app-1",
              process.execPath,
              ["-e", `console.error("bad home"); process.exit(3)`],
              {},
              {
                probation: true,
              },
            ),
        }),
      ).rejects.toThrow(/app-1 exited before it listened on 127\.0\.0\.1:\d+; last lines of its log:\nbad home/);
    } finally {
      await supervisor.stopAll();
    }
  });
});
