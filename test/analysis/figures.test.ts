import { describe, expect, it } from "vitest";
import { calibrate, heatmapSvg, histogram, separationSvg, thresholdSvg } from "../../src/analysis/index.js";

function server(name: string, offset: number, spread: number): { name: string; vectors: Map<number, Float64Array> } {
  return {
    name,
    vectors: new Map(
      Array.from({ length: 200 }, (_, n) => [n, Float64Array.from([offset + spread * Math.sin(n * 1.7 + offset), 0])]),
    ),
  };
}
const c = calibrate([server("fp8-a", 0, 0.05), server("fp8-b", 0.01, 0.05), server("int4", 0.5, 0.05)]);

describe("histogram", () => {
  it("counts values per bin and puts values beyond the range in the end bins", () => {
    expect(histogram([0, 0.1, 0.25, 0.3, 0.99, 5, -1], 0, 1, 4)).toEqual({
      edges: [0, 0.25, 0.5, 0.75, 1],
      counts: [3, 2, 0, 2],
    });
  });
});

describe("calibration figures", () => {
  it("heatmap: one cell per ordered pair with the pair's mean, grey diagonal", () => {
    const svg = heatmapSvg(c, ["fp8-a", "fp8-b", "int4"]);
    const mean = c.pairs.find((p) => p.a === "fp8-a" && p.b === "int4")!.mean.toFixed(3);
    expect(svg.split(`>${mean}<`).length - 1).toBeGreaterThanOrEqual(2);
    expect(svg.match(/fill="#f0f0f0"/g)).toHaveLength(3);
  });

  it("separation: honest and cheater histograms with the threshold line", () => {
    const svg = separationSvg(c);
    expect(svg).toContain("honest pairs (200 distances)");
    expect(svg).toContain("cheater pairs (400 distances)");
    expect(svg).toContain(`threshold ${c.threshold.toFixed(4)}`);
  });

  it("threshold: one line per pair and the nominal false-positive rate", () => {
    const svg = thresholdSvg(c);
    expect(svg.match(/<path d="M/g)).toHaveLength(3);
    expect(svg).toContain("nominal false-positive rate 2.0%");
    expect(svg).toContain("cheater pair (2)");
  });
});
