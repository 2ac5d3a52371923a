import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  networkSvg,
  SHARE_BINS,
  simulateNetwork,
  simulateSingle,
  singleSvg,
  writeFigure,
} from "../../src/analysis/index.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pocval-simfig-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const network = simulateNetwork({ stakes: [35, 25, 15, 10, 10, 5], rate: 0.04, rounds: 20_000, seed: 3 });

describe("share histograms", () => {
  it("carry the whole probability in SHARE_BINS bins, exact and Monte Carlo alike", () => {
    for (const h of [network.exact.shareHistogram, network.monteCarlo.shareHistogram]) {
      expect(h).toHaveLength(SHARE_BINS);
      expect(Math.abs(h.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-9);
    }
    // All six validators voting: share 1 lands in the last (closed) bin with P = q^6.
    expect(network.exact.shareHistogram[SHARE_BINS - 1]).toBeCloseTo(network.detectionProbability ** 6, 14);
  });
});

describe("simulation figures", () => {
  it("single: the p-value curve on a log axis with alpha and k_crit", () => {
    const svg = singleSvg(simulateSingle({ n: 200 }));
    expect(svg).toContain(">k_crit = 8</text>");
    expect(svg).toContain(">alpha 0.05</text>");
    expect(svg).toContain(">1e-7</text>");
  });

  it("network: exact bars, the Monte Carlo line and the quorum", () => {
    const svg = networkSvg(network);
    expect(svg).toContain("quorum: convicted above 50%");
    expect(svg).toContain(`exact: P[convicted] = ${network.exact.pConvicted.toFixed(6)}`);
    expect(svg).toContain(">100%</text>");
  });

  it("writes SVG or PNG by the file's extension", async () => {
    const svg = networkSvg(network);
    await writeFigure(join(dir, "n.svg"), svg);
    await writeFigure(join(dir, "n.png"), svg);
    expect(await readFile(join(dir, "n.svg"), "utf8")).toBe(svg);
    expect((await readFile(join(dir, "n.png"))).subarray(1, 4).toString()).toBe("PNG");
  });
});
