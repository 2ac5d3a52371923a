// The node-down banner: a real node process stopped and restarted under an open page.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { type Dashboard, startDashboard } from "../../src/dashboard/index.js";
import { initHome } from "../../src/node/index.js";
import { tempHome } from "../node/helpers.js";
import { ensureDashboardBuilt, launchChromium, screenshotDir } from "./helpers.js";

const bin = fileURLToPath(new URL("../../bin/pocval.js", import.meta.url));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** `pocval node start` on a fixed port; resolves once it prints its RPC address. */
function startNode(home: string, port: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [bin, "node", "start", "--home", home, "--rpc", `127.0.0.1:${port}`, "--block-time", "200"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`node did not start: ${out}`)), 60_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (/rpc http:\/\/127\.0\.0\.1:\d+/.test(out)) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`node exited with ${code}: ${out}`));
    });
  });
}

const stopped = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });

describe("pocval dashboard when the node goes away", () => {
  let node: ChildProcess | undefined;
  let dashboard: Dashboard | undefined;
  let browser: Browser | undefined;
  let cleanup: (() => Promise<void>) | undefined;

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    if (node) await stopped(node);
    await cleanup?.();
  }, 60_000);

  it("shows a banner while the node is down and clears it by itself when the node returns", async () => {
    ensureDashboardBuilt();
    const t = await tempHome();
    cleanup = t.cleanup;
    await initHome({
      home: t.home,
      validators: 1,
      participants: 0,
      timing: { stageLength: 10n, stageOffset: 0n, commitWindow: 2n, validationWindow: 4n },
    });
    const port = await freePort();
    node = await startNode(t.home, port);
    dashboard = await startDashboard({ nodeUrl: `http://127.0.0.1:${port}`, pollMs: 300 });
    browser = await launchChromium();
    const page = await browser.newPage();
    await page.goto(dashboard.url);
    await page.getByTestId("stages").waitFor({ timeout: 30_000 });
    expect(await page.getByTestId("node-banner").count()).toBe(0);
    await page.evaluate("window.marker = 7");

    await stopped(node);
    const banner = page.getByTestId("node-banner");
    await banner.waitFor({ timeout: 30_000 });
    expect(await banner.textContent()).toMatch(/Node unreachable since .*127\.0\.0\.1:/);
    // The last data stays on screen under the banner.
    expect(await page.getByTestId("stages").count()).toBe(1);
    await page.screenshot({ path: join(screenshotDir, "node-down.png") });
    const heightBefore = Number((await page.locator(".height").textContent())!.match(/height (\d+)/)![1]);

    node = await startNode(t.home, port);
    await banner.waitFor({ state: "detached", timeout: 60_000 });
    const height = async () => Number((await page.locator(".height").textContent())?.match(/height (\d+)/)?.[1] ?? 0);
    await expect.poll(height, { timeout: 30_000 }).toBeGreaterThan(heightBefore);
    expect(await page.evaluate("window.marker")).toBe(7);
  }, 180_000);
});
