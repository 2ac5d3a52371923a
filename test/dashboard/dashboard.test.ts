// The governance dashboard in a real browser (Debian's chromium through playwright-core), against a
// real localnet run (node, participants and sidecars as processes) kept running after its first stage.
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Dashboard, startDashboard } from "../../src/dashboard/index.js";
import { type LocalnetRun, runLocalnet } from "../../src/localnet/run.js";
import { parseScenario } from "../../src/localnet/scenario.js";
import { runCliAsync } from "../cli/helpers.js";
import { ensureDashboardBuilt, launchChromium, screenshotDir } from "./helpers.js";

const scenario = parseScenario(
  {
    name: "dashboard",
    blockTimeMs: 400,
    stages: 1,
    timing: { stageLength: 40, stageOffset: 0, commitWindow: 12, validationWindow: 24 },
    params: { alpha: "0.00001" },
    machines: [
      { name: "v0", profile: "h100-fp8" },
      { name: "v1", profile: "b200-fp8" },
      { name: "v2", profile: "a100-fp8" },
      { name: "p-honest", profile: "h100-fp8" },
      { name: "p-int4", profile: "int4" },
      { name: "p-withhold", profile: "a100-fp8" },
    ],
    validators: [
      { name: "validator-0", stake: 500000, machine: "v0" },
      { name: "validator-1", stake: 300000, machine: "v1" },
      { name: "validator-2", stake: 200000, machine: "v2" },
    ],
    participants: [
      { name: "honest", machine: "p-honest", strategy: "honest", nonces: 1500, expect: { verdict: "HONEST" } },
      {
        name: "int4",
        machine: "p-int4",
        strategy: "int4",
        nonces: 1500,
        expect: { verdict: "CHEATER", reasons: ["STAT_TEST"] },
        assumedMismatchRate: 0.5,
      },
      {
        name: "withhold",
        machine: "p-withhold",
        strategy: "withhold",
        nonces: 1500,
        expect: { verdict: "CHEATER", reasons: ["UNAVAILABLE"] },
      },
    ],
  },
  "dashboard test scenario",
);

interface CliTally {
  participant: string;
  cheater_share: number;
  honest_share: number;
  abstain_share: number;
  convicted: boolean;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

describe("pocval dashboard (real localnet, real chromium)", () => {
  let run: LocalnetRun;
  let dashboard: Dashboard;
  let browser: Browser;
  let page: Page;
  let node: string;
  let stageHeight: string;

  beforeAll(async () => {
    ensureDashboardBuilt();
    mkdirSync(screenshotDir, { recursive: true });
    run = await runLocalnet(scenario, { keep: true, progress: () => {} });
    node = run.result.endpoints.node_rpc;
    stageHeight = String(run.result.stages[0]!.stage_height);
    dashboard = await startDashboard({ nodeUrl: node, pollMs: 300 });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await run?.stop();
    if (run) rmSync(run.result.run_dir, { recursive: true, force: true });
  }, 60_000);

  it("shows every participant's verdict and shares as the chain has them", async () => {
    const cli = await runCliAsync(
      ["query", "tallies", "--node", node, "--stage-height", stageHeight, "--json"],
      90_000,
    );
    expect(cli.status, cli.stderr).toBe(0);
    const tallies = (JSON.parse(cli.stdout) as { tallies: CliTally[] }).tallies;
    expect(tallies).toHaveLength(3);
    await page.goto(`${dashboard.url}#/stage/${stageHeight}`);
    await page.getByTestId("tallies").waitFor();
    for (const t of tallies) {
      const row = page.locator(`[data-testid=tallies] tr[data-participant="${t.participant}"]`);
      await expect(row.locator("[data-field=verdict]").textContent()).resolves.toBe(
        t.convicted ? "CONVICTED" : "cleared",
      );
      await expect(row.locator("[data-field=cheater_share]").textContent()).resolves.toBe(pct(t.cheater_share));
      await expect(row.locator("[data-field=honest_share]").textContent()).resolves.toBe(pct(t.honest_share));
      await expect(row.locator("[data-field=abstain_share]").textContent()).resolves.toBe(pct(t.abstain_share));
    }
    expect(await page.locator("[data-testid=tallies] tr[data-convicted=true]").count()).toBe(
      tallies.filter((t) => t.convicted).length,
    );
    await page.screenshot({ path: join(screenshotDir, "stage.png"), fullPage: true });
  }, 120_000);

  it("vote matrix cells equal `pocval query tally`", async () => {
    await page.goto(`${dashboard.url}#/stage/${stageHeight}`);
    await page.getByTestId("matrix").waitFor();
    const participants = run.result.stages[0]!.tallies.map((t) => t.participant);
    const answers = await Promise.all(
      participants.map((participant) =>
        runCliAsync(
          ["query", "tally", "--node", node, "--stage-height", stageHeight, "--participant", participant, "--json"],
          90_000,
        ),
      ),
    );
    let cells = 0;
    for (const [i, cli] of answers.entries()) {
      const participant = participants[i]!;
      expect(cli.status, cli.stderr).toBe(0);
      const ballots = (
        JSON.parse(cli.stdout) as {
          validators: { validator: string; verdict: string; checked: number; mismatches: number; p_value: string }[];
        }
      ).validators;
      for (const b of ballots) {
        const cell = page.locator(`td[data-validator="${b.validator}"][data-participant="${participant}"]`);
        const verdict = await cell.getAttribute("data-verdict");
        expect(verdict).toBe(b.verdict === "SELF (not counted)" ? "SELF" : b.verdict);
        if (b.verdict === "HONEST" || b.verdict === "CHEATER") {
          expect(await cell.getAttribute("data-checked")).toBe(String(b.checked));
          expect(await cell.getAttribute("data-mismatches")).toBe(String(b.mismatches));
          expect(await cell.getAttribute("data-p-value")).toBe(b.p_value);
          expect(await cell.textContent()).toContain(`${b.mismatches}/${b.checked}`);
        }
        cells++;
      }
    }
    expect(cells).toBe(9);
    // Selecting a cell gives the command that re-derives its sample.
    await page.locator("td.vote button").first().click();
    await expect(page.getByTestId("vote-detail").textContent()).resolves.toContain(
      `pocval sample --stage-height ${stageHeight} --sampling-block-hash`,
    );
  }, 120_000);

  it("a participant's history and a validator's page", async () => {
    const convicted = run.result.stages[0]!.tallies.find((t) => t.name === "int4")!;
    await page.goto(`${dashboard.url}#/participant/${convicted.participant}`);
    await page.getByTestId("history").waitFor();
    await expect(
      page.locator(`[data-testid=history] tr[data-stage="${stageHeight}"]`).textContent(),
    ).resolves.toContain("CONVICTED");
    await page.screenshot({ path: join(screenshotDir, "participant.png"), fullPage: true });
    const validator = run.result.validators[0]!.address;
    await page.goto(`${dashboard.url}#/validator/${validator}`);
    await page.getByTestId("validator-votes").waitFor();
    // Every validator votes on each of the three participants in every tallied stage.
    expect(Number(await page.locator("[data-field=votes_cast]").textContent())).toBeGreaterThanOrEqual(3);
    await page.screenshot({ path: join(screenshotDir, "validator.png"), fullPage: true });
  }, 120_000);

  it("a new stage appears without reload", async () => {
    await page.goto(`${dashboard.url}#/`);
    await page.getByTestId("stages").waitFor();
    await page.evaluate("window.marker = 42");
    // The stage after the newest one final at load time must arrive by the live feed, not a reload.
    const finals = await page
      .locator("[data-testid=stages] tr[data-phase=final]")
      .evaluateAll((rows) => rows.map((r) => Number(r.getAttribute("data-stage"))));
    const next = String(Math.max(...finals) + scenario.timing.stageLength);
    expect(await page.locator(`[data-testid=stages] tr[data-stage="${next}"][data-phase=final]`).count()).toBe(0);
    await page.locator(`[data-testid=stages] tr[data-stage="${next}"][data-phase=final]`).waitFor({ timeout: 120_000 });
    expect(await page.evaluate("window.marker")).toBe(42);
    await page.screenshot({ path: join(screenshotDir, "overview.png"), fullPage: true });
  }, 150_000);

  it("unknown stages and participants give a not-found view; the API validates its parameters", async () => {
    await page.goto(`${dashboard.url}#/stage/7`);
    await expect(page.getByRole("heading", { name: "Not found" }).textContent()).resolves.toBe("Not found");
    await expect(page.locator(".notfound").textContent()).resolves.toContain("not a stage start");
    await page.goto(`${dashboard.url}#/participant/pocval1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq`);
    await expect(page.locator(".notfound").textContent()).resolves.toContain("not registered");
    await page.goto(`${dashboard.url}#/nowhere`);
    await expect(page.locator(".notfound").textContent()).resolves.toContain('no page at "/nowhere"');
    const get = async (path: string) => {
      const r = await fetch(new URL(path, dashboard.url));
      return { status: r.status, body: (await r.json()) as { error?: string } };
    };
    expect(await get("/api/stages/abc")).toMatchObject({
      status: 400,
      body: { error: expect.stringMatching(/stage height/) },
    });
    expect(await get("/api/overview?limit=0")).toMatchObject({
      status: 400,
      body: { error: expect.stringMatching(/limit/) },
    });
    expect(await get("/api/overview?foo=1")).toMatchObject({
      status: 400,
      body: { error: expect.stringMatching(/foo/) },
    });
    expect(await get("/api/validators/nobody")).toMatchObject({ status: 400 });
    expect((await get(`/api/stages/${stageHeight}`)).status).toBe(200);
    // A stage start the chain has not reached is not found (not a node failure: no 503, no banner).
    const future = Number(stageHeight) + 1000 * scenario.timing.stageLength;
    expect(await get(`/api/stages/${future}`)).toMatchObject({
      status: 404,
      body: { error: expect.stringMatching(/has not started yet/) },
    });
    expect((await get("/../../package.json")).status).toBe(404);
  }, 120_000);

  it("works on a phone-sized screen and from the keyboard", async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
    try {
      await phone.goto(`${dashboard.url}#/stage/${stageHeight}`);
      await phone.getByTestId("matrix").waitFor();
      // Wide tables scroll inside their own box; the page itself never scrolls sideways.
      const overflow = await phone.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
      expect(overflow).toBeLessThanOrEqual(0);
      await phone.screenshot({ path: join(screenshotDir, "stage-phone.png"), fullPage: true });
    } finally {
      await phone.close();
    }
    await page.goto(`${dashboard.url}#/`);
    await page.getByTestId("stages").waitFor();
    // Tab from the top: brand link first, then the first stage link; Enter follows it.
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    const focused = await page.evaluate<string | null>(
      "document.activeElement && document.activeElement.getAttribute('href')",
    );
    expect(focused).toMatch(/^#\/stage\/\d+$/);
    await page.keyboard.press("Enter");
    await page.getByTestId("stage").waitFor();
    expect(await page.evaluate<string>("location.hash")).toBe(focused);
  }, 120_000);
});
