import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type ChildFailedError, createSupervisor } from "../../src/localnet/index.js";

const runDir = mkdtempSync(join(tmpdir(), "pocval-supervisor-"));
mkdirSync(join(runDir, "logs"));
afterAll(() => rmSync(runDir, { recursive: true, force: true }));

// A long-running child that says who it is in its log, as a sidecar does.
const daemon = (name: string) => [
  "-e",
  `console.log("${name}: started"); console.error("${name}: following blocks"); setInterval(() => {}, 1000);`,
];
const waitFor = async (check: () => boolean, ms: number) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe("localnet supervisor", () => {
  it("reports every child that dies while the network is kept running, with its log tail", async () => {
    const supervisor = createSupervisor(runDir);
    const names = ["sidecar-0", "sidecar-1", "sidecar-2", "participant-0"];
    const children = names.map((n) => supervisor.startProgram(n, process.execPath, daemon(n)));
    const reports: ChildFailedError[] = [];
    supervisor.onFailure((err) => reports.push(err));
    await waitFor(() => children.every((c) => supervisor.tail(c.name).includes("following blocks")), 20_000);

    // The operator's kill -9 of three sidecars: each one is reported, not only the first.
    for (const c of children.slice(0, 3)) process.kill(c.process.pid!, "SIGKILL");
    await waitFor(() => reports.length === 3, 20_000);
    expect(reports.map((r) => r.child).sort()).toEqual(["sidecar-0", "sidecar-1", "sidecar-2"]);
    for (const r of reports) {
      expect(r.message).toBe(
        `${r.child} was killed by SIGKILL; last lines of its log:\n${r.child}: started\n${r.child}: following blocks`,
      );
    }
    // A listener that comes later still hears of them; a first failure still rejects `failed`.
    const late: string[] = [];
    supervisor.onFailure((err) => late.push(err.child));
    expect(late.sort()).toEqual(["sidecar-0", "sidecar-1", "sidecar-2"]);
    await expect(supervisor.failed).rejects.toThrow(/was killed by SIGKILL/);

    // Planned stops are not failures.
    await supervisor.kill("participant-0");
    await supervisor.stopAll();
    expect(reports).toHaveLength(3);
  }, 60_000);
});
