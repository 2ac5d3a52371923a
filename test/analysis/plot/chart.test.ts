import { describe, expect, it } from "vitest";
import { escapeXml, renderChart, renderHeatmap, svgToPng, viridis } from "../../../src/analysis/plot/index.js";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

describe("renderChart", () => {
  const svg = renderChart({
    title: "Distances <honest & cheater>",
    xLabel: "L2 distance",
    yLabel: "density",
    x: { min: 0, max: 0.6 },
    y: { min: 0, max: 15 },
    series: [
      { kind: "bars", label: "honest", color: "#0072B2", edges: [0, 0.1, 0.2], heights: [10, 4] },
      {
        kind: "line",
        label: "fit",
        color: "#D55E00",
        points: [
          [0, 1],
          [0.5, 2],
        ],
      },
    ],
    vlines: [{ at: 0.1737, label: "threshold 0.1737" }],
  });

  it("writes a well-formed SVG with title, axis labels, ticks, bars, line and legend", () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain("Distances &lt;honest &amp; cheater&gt;");
    expect(svg).toContain(">L2 distance</text>");
    expect(svg).toContain(">0.3</text>");
    expect(svg).toContain(">threshold 0.1737</text>");
    expect(svg.match(/<rect /g)!.length).toBeGreaterThanOrEqual(4);
    expect(svg).toContain('<path d="M');
    expect(svg).toContain(">honest</text>");
    expect(svg).toContain(">fit</text>");
  });

  it("renders to a PNG twice the SVG's size", () => {
    const png = svgToPng(svg);
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    // IHDR width and height, big endian, at bytes 16..24.
    expect(png.readUInt32BE(16)).toBe(1640);
    expect(png.readUInt32BE(20)).toBe(1000);
  });

  it("draws log axes at powers of ten", () => {
    const log = renderChart({
      title: "t",
      xLabel: "x",
      yLabel: "y",
      x: { min: 0, max: 1 },
      y: { min: 1e-3, max: 1, log: true, format: (v) => `${v * 100}%` },
      series: [
        {
          kind: "line",
          label: "s",
          color: "#000",
          points: [
            [0, 1],
            [1, 0.001],
          ],
        },
      ],
    });
    for (const label of [">100%<", ">10%<", ">1%<", ">0.1%<"]) expect(log).toContain(label);
  });
});

describe("renderHeatmap", () => {
  it("writes each value in its cell and leaves missing cells grey", () => {
    const svg = renderHeatmap({
      title: "h",
      labels: ["A100_fp8", "H100_int4"],
      values: [
        [null, 0.244],
        [0.244, null],
      ],
      valueLabel: "mean L2",
    });
    // Two cells and the colour bar's two ends (both 0.244 here).
    expect(svg.match(/>0\.244</g)).toHaveLength(4);
    expect(svg.match(/fill="#f0f0f0"/g)).toHaveLength(2);
    expect(svg).toContain(">H100_int4</text>");
  });
});

describe("colours and escaping", () => {
  it("spans viridis from dark purple to yellow", () => {
    expect(viridis(0)).toBe("#440154");
    expect(viridis(1)).toBe("#fde725");
    expect(viridis(Number.NaN)).toBe("#440154");
  });

  it("escapes every XML special character", () => {
    expect(escapeXml(`a<b>&"c'`)).toBe("a&lt;b&gt;&amp;&quot;c&apos;");
  });
});
