import { describe, expect, it } from "vitest";
import { calibrate, renderReport } from "../../src/analysis/index.js";

const vectors = (f: (n: number) => number): Map<number, Float64Array> =>
  new Map(Array.from({ length: 50 }, (_, n) => [n, Float64Array.from([f(n), 0, 0])]));
const servers = [
  { name: "h100", file: "h100.json", nonces: [], vectors: vectors((n) => (n % 7) / 100) },
  { name: "b200", file: "b200.json", nonces: [], vectors: vectors((n) => (n % 5) / 100) },
  { name: "int4", file: "int4.json", nonces: [], vectors: vectors((n) => 1 + (n % 3) / 100) },
];

describe("renderReport", () => {
  it("holds the report's table, the threshold, the binomial tests and the figures", () => {
    const c = calibrate(servers);
    const md = renderReport(c, { servers, kDim: 3, warnings: ["int4 (int4.json): 1 of 51 nonces have no vector"] });
    expect(md).toMatch(/^# Calibration report\n\n3 servers, k_dim 3\./);
    expect(md).toContain("- int4 (int4.json): 1 of 51 nonces have no vector");
    const h = c.pairs.find((p) => p.a === "h100" && p.b === "b200")!;
    expect(md).toContain(
      `| h100 vs b200 | 50 | ${h.mean.toFixed(6)} ± ${h.std.toFixed(6)} | ${h.max.toFixed(4)} | honest |`,
    );
    expect(md).toContain(`Threshold: **${c.threshold.toFixed(6)}**, the 98th percentile`);
    expect(md).toContain("the chain's default `dist_threshold`, is 0.173663.");
    // 0.02^50: every one of the 50 checks mismatches.
    expect(md).toContain("| h100 vs int4 | cheater | 50/50 | 100.00% | 100.00% | 1.126e-85 | yes |");
    expect(md).toContain("2 of 2 cheater pairs are flagged; 0 of 1 honest pairs are.");
    for (const f of ["pairwise_distance_heatmap", "honest_vs_cheater_separation", "threshold_distributions"]) {
      expect(md).toContain(`(./${f}.png)`);
    }
  });

  it("says how the clusters were chosen", () => {
    const named = renderReport(calibrate(servers, { honest: ["h100", "int4"] }), { servers, kDim: 3, warnings: [] });
    expect(named).toContain("by naming the honest servers (h100, int4)");
    const none = renderReport(calibrate(servers.slice(0, 2)), { servers: servers.slice(0, 2), kDim: 3, warnings: [] });
    expect(none).toMatch(/split not made: fewer than two distinct pair means/);
  });
});
