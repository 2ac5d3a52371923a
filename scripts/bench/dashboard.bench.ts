// `npm run bench -- dashboard`: the governance page's weight (bytes shipped, raw and gzip) and its time to
// first render in Debian's chromium, against loading a one-line static page from a loopback server in the
// same browser (the baseline).
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { startDashboard } from "../../src/dashboard/index.js";
import { listen } from "../../src/net/listen.js";
import { initHome, startNode } from "../../src/node/index.js";
import { ensureDashboardBuilt, launchChromium } from "../../test/dashboard/helpers.js";
import { fmt } from "./util.js";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function bench(): Promise<void> {
  ensureDashboardBuilt();
  const dir = mkdtempSync(join(tmpdir(), "pocval-bench-dashboard-"));
  const home = join(dir, "home");
  await initHome({
    home,
    validators: 4,
    participants: 0,
    timing: { stageLength: 10n, stageOffset: 0n, commitWindow: 2n, validationWindow: 4n },
  });
  const node = await startNode({ home, rpc: "127.0.0.1:0", blockTimeMs: 100 });
  const dashboard = await startDashboard({ nodeUrl: node.rpcUrl, pollMs: 500 });
  const plain = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end("<!doctype html><title>baseline</title><p id=x>baseline</p>");
  });
  const { host, port } = await listen(plain, "127.0.0.1", 0);
  const browser = await launchChromium();
  try {
    // Let a few stages finalize so the timeline has rows.
    while (node.height() < 40n) await new Promise((r) => setTimeout(r, 100));
    const page = await browser.newPage();
    const shipped: { url: string; bytes: number; gzip: number }[] = [];
    page.on("response", async (r) => {
      if (r.url().includes("/api/")) return;
      const body = await r.body().catch(() => Buffer.alloc(0));
      shipped.push({ url: new URL(r.url()).pathname, bytes: body.length, gzip: gzipSync(body).length });
    });
    await page.goto(dashboard.url);
    await page.getByTestId("stages").waitFor();
    page.removeAllListeners("response");
    const total = shipped.reduce((a, s) => a + s.bytes, 0);
    const totalGz = shipped.reduce((a, s) => a + s.gzip, 0);
    for (const s of shipped) console.log(`  ${s.url.padEnd(32)} ${String(s.bytes).padStart(7)} B (gzip ${s.gzip} B)`);
    console.log(
      `page weight: ${total} B shipped (${fmt(total / 1024, 1)} KiB; ${totalGz} B gzip), API JSON not counted`,
    );

    const firstRender: number[] = [];
    const baseline: number[] = [];
    for (let i = 0; i < 7; i++) {
      const fresh = await browser.newPage();
      let t = performance.now();
      await fresh.goto(`http://${host}:${port}/`);
      await fresh.locator("#x").waitFor();
      baseline.push(performance.now() - t);
      await fresh.close();
      const p = await browser.newPage();
      t = performance.now();
      await p.goto(dashboard.url);
      await p.getByTestId("stages").waitFor();
      firstRender.push(performance.now() - t);
      await p.close();
    }
    const fr = median(firstRender);
    const base = median(baseline);
    console.log(
      `time to first render (timeline and stages table, fresh page, median of 7): ${fmt(fr, 0)} ms; ` +
        `baseline static page ${fmt(base, 0)} ms; ratio ${fmt(fr / base, 1)}x`,
    );
  } finally {
    await browser.close();
    await dashboard.close();
    await node.stop();
    await new Promise<void>((r) => plain.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  }
}
