// The calibration report: the policies side by side, the Markdown text, and the files
// `pocval calibrate` writes.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { binomialPValue, DEFAULT_PARAMS, parseParams } from "../core/index.js";
import { applyPolicy, type Calibration, calibrationJson, PAIR_ALPHA } from "./calibrate.js";
import type { Dataset } from "./dataset.js";
import { heatmapSvg, separationSvg, thresholdSvg } from "./figures.js";
import { svgToPng } from "./plot/index.js";
import { formatPValue } from "./table.js";

/** The calibration under the other policy, from the same pairs and clusters. */
export function otherPolicy(c: Calibration): Calibration {
  return applyPolicy(c, c.policy === "pooled" ? "worst-pair" : "pooled", c.percentile);
}

const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;

/** The two policies side by side: threshold, false positives, fp_rate_upper and every honest pair's rate. */
function policySection(c: Calibration): string[] {
  const other = otherPolicy(c);
  const [pooled, worst] = c.policy === "pooled" ? [c, other] : [other, c];
  const lines = ["## Pooled versus worst-pair", ""];
  lines.push(
    "`pooled` (the notebook's method) takes the percentile of every honest distance pooled; identical pairs add zeros and pull it down. " +
      "`worst-pair` takes the largest of the honest, non-identical pairs' own percentiles, so no honest pair exceeds the nominal rate. " +
      "`fp_rate_upper` is the largest honest pair's exact one-sided 95% Clopper-Pearson upper bound: the value to propose as the chain's `fp_rate`.",
    "",
  );
  const significant = (x: Calibration): number =>
    x.pairs.filter((p) => p.cluster === "honest" && p.rate > x.fpRate && binomialP(x, p) < PAIR_ALPHA).length;
  lines.push(
    `| | pooled${c.policy === "pooled" ? " (chosen)" : ""} | worst-pair${c.policy === "worst-pair" ? " (chosen)" : ""} |`,
  );
  lines.push("|---|---:|---:|");
  lines.push(`| threshold | ${pooled.threshold.toFixed(6)} | ${worst.threshold.toFixed(6)} |`);
  lines.push(
    `| false positives | ${pooled.falsePositives}/${pooled.honestDistances} (${pct(pooled.fpRate)}) | ${worst.falsePositives}/${worst.honestDistances} (${pct(worst.fpRate)}) |`,
  );
  lines.push(`| fp_rate_upper | ${pct(pooled.fpRateUpper)} | ${pct(worst.fpRateUpper)} |`);
  lines.push(
    `| largest honest pair rate | ${pct(maxHonestRate(pooled))} | ${pct(maxHonestRate(worst))} |`,
    `| honest pairs significantly above fp_rate | ${significant(pooled)} | ${significant(worst)} |`,
    "",
  );
  lines.push(
    "| Honest pair | pooled: mismatches | rate | rate_upper | p vs fp_rate | worst-pair: mismatches | rate | rate_upper |",
  );
  lines.push("|---|---:|---:|---:|---:|---:|---:|---:|");
  for (const [i, p] of pooled.pairs.entries()) {
    if (p.cluster !== "honest") continue;
    const w = worst.pairs[i]!;
    lines.push(
      `| ${p.a} vs ${p.b}${p.identical ? " (identical)" : ""} | ${p.mismatches}/${p.n} | ${pct(p.rate)} | ${pct(p.rateUpper)} | ${formatPValue(binomialP(pooled, p))} | ${w.mismatches}/${w.n} | ${pct(w.rate)} | ${pct(w.rateUpper)} |`,
    );
  }
  lines.push("");
  const warn = pooled.pairs.filter((p) => p.cluster === "honest" && binomialP(pooled, p) < PAIR_ALPHA);
  if (warn.length > 0) {
    lines.push(
      `**Warning:** the pooled threshold leaves ${warn.length} honest pair(s) significantly above its rate ${pct(pooled.fpRate)} ` +
        `(one-sided binomial p < ${PAIR_ALPHA}): ${warn.map((p) => `${p.a} vs ${p.b} at ${pct(p.rate)}`).join(", ")}. ` +
        "A validator on one of these machines flags an honest participant on the other far more often than the chain's `fp_rate` assumes; use the worst-pair threshold and its `fp_rate_upper`.",
      "",
    );
  }
  return lines;
}

function maxHonestRate(c: Calibration): number {
  return Math.max(0, ...c.pairs.filter((p) => p.cluster === "honest").map((p) => p.rate));
}

/** A pair's p-value against the calibration's observed fp_rate (what the pooled warning tests). */
function binomialP(c: Calibration, p: Calibration["pairs"][number]): number {
  return c.policy === "pooled" ? p.pValue : binomialPValue(p.mismatches, p.n, c.fpRate);
}

/** The PoC v2 report's 98th-percentile threshold (docs/protocol.md's default `dist_threshold`). */
export const REPORT_THRESHOLD = parseParams(DEFAULT_PARAMS).distThreshold;

/** The figures a calibration writes, by file stem (each as .svg and .png). */
export const FIGURES = {
  heatmap: "pairwise_distance_heatmap",
  separation: "honest_vs_cheater_separation",
  threshold: "threshold_distributions",
} as const;

/** The calibration as a Markdown report in the shape of the PoC v2 validation report. */
export function renderReport(c: Calibration, data: Pick<Dataset, "servers" | "kDim" | "config" | "warnings">): string {
  const serverNames = [...new Set(data.servers.map((s) => s.name))];
  const lines: string[] = [];
  const honest = c.pairs.filter((p) => p.cluster === "honest");
  const cheater = c.pairs.filter((p) => p.cluster === "cheater");
  lines.push("# Calibration report", "");
  lines.push(
    `${serverNames.length} servers${serverNames.length === data.servers.length ? "" : ` (${data.servers.length} server files over several seeds)`}, k_dim ${data.kDim}` +
      (data.config
        ? `, model \`${data.config.model}\`, seq_len ${data.config.seq_len}, block height ${data.config.block_height}`
        : "") +
      ".",
    "",
  );
  lines.push("| server | seed (block_hash / public_key) | nonces | vectors |", "|---|---|---:|---:|");
  for (const s of data.servers) {
    const seed = s.seed ? `${s.seed.blockHash} / ${s.seed.publicKey}` : "";
    lines.push(`| ${s.name} | ${seed} | ${s.nonces.length} | ${s.vectors.size} |`);
  }
  lines.push("");
  if (data.warnings.length + c.warnings.length > 0) {
    lines.push("**Warnings**", "", ...[...data.warnings, ...c.warnings].map((w) => `- ${w}`), "");
  }
  lines.push("## Pairwise distances", "");
  lines.push("L2 distance between the two servers' vectors for the same nonce, over the nonces both hold.", "");
  lines.push(`![Pairwise distance heatmap](./${FIGURES.heatmap}.png)`, "");
  lines.push("| Pair | n | mean ± std | max | cluster |", "|---|---:|---:|---:|---|");
  for (const p of c.pairs) {
    lines.push(
      `| ${p.a} vs ${p.b} | ${p.n} | ${p.mean.toFixed(6)} ± ${p.std.toFixed(6)} | ${p.max.toFixed(4)} | ${p.cluster} |`,
    );
  }
  lines.push("");
  const split =
    c.split.method === "gap"
      ? `by the largest gap between pair means (${c.split.below.toFixed(4)} to ${c.split.above.toFixed(4)})`
      : c.split.method === "named"
        ? `by naming the honest servers (${c.split.honest.join(", ")})`
        : `not made: ${c.split.reason}`;
  lines.push(
    `Clusters: split ${split}. Honest servers: ${c.honestServers.join(", ")}. Cheater servers (in every cheater pair): ${c.cheaterServers.join(", ") || "none"}.`,
    "",
  );
  if (c.identicalPairs.length > 0) {
    lines.push(
      `Identical pairs (distance 0 on every shared nonce: same kernels): ${c.identicalPairs.map(([a, b]) => `${a} = ${b}`).join(", ")}.`,
      "",
    );
  }
  lines.push(`![Honest vs cheater separation](./${FIGURES.separation}.png)`, "");
  lines.push("## Threshold", "");
  lines.push(
    c.policy === "pooled"
      ? `- Threshold: **${c.threshold.toFixed(6)}**, the ${c.percentile}th percentile (numpy's linear method) of ${c.honestDistances} honest distances from ${honest.length} pairs (policy pooled).`
      : `- Threshold: **${c.threshold.toFixed(6)}**, the largest ${c.percentile}th percentile (numpy's linear method) of the ${honest.filter((p) => !p.identical).length} honest, non-identical pairs (policy worst-pair).`,
    `- On the ${c.honestDistances} honest distances it leaves **${c.falsePositives}** false positives (fp_rate ${pct(c.fpRate)}); fp_rate_upper **${pct(c.fpRateUpper)}**.`,
    "- Rule: a nonce is a mismatch iff its L2 distance is strictly above the threshold.",
    `- For comparison: the PoC v2 report's threshold, the chain's default \`dist_threshold\`, is ${REPORT_THRESHOLD}.`,
    "",
  );
  lines.push(`![Threshold on distributions](./${FIGURES.threshold}.png)`, "");
  lines.push(...policySection(c));
  lines.push("## Binomial test per pair", "");
  lines.push(
    `One-sided test (alternative "greater") of k mismatches in n checks against ${
      c.policy === "pooled"
        ? `the observed fp_rate ${c.pValueRate.toFixed(4)} (the notebook's test)`
        : `the nominal false-positive rate ${c.pValueRate.toFixed(4)}`
    }; a pair is flagged when p < 0.05. rate_upper: exact one-sided 95% Clopper-Pearson upper bound.`,
    "",
  );
  lines.push(
    "| Pair | cluster | mismatches | rate | rate_upper | p-value | flagged |",
    "|---|---|---:|---:|---:|---:|---|",
  );
  for (const p of c.pairs) {
    lines.push(
      `| ${p.a} vs ${p.b} | ${p.cluster} | ${p.mismatches}/${p.n} | ${pct(p.rate)} | ${pct(p.rateUpper)} | ${formatPValue(p.pValue)} | ${p.pValue < 0.05 ? "yes" : "no"} |`,
    );
  }
  lines.push("");
  if (cheater.length > 0) {
    const caught = cheater.filter((p) => p.pValue < 0.05).length;
    lines.push(
      `${caught} of ${cheater.length} cheater pairs are flagged; ${honest.filter((p) => p.pValue < 0.05).length} of ${honest.length} honest pairs are.`,
      "",
    );
  }
  lines.push("Generated by `pocval calibrate`; `calibration.json` holds the same figures for machines.", "");
  return lines.join("\n");
}

/** Writes report.md, calibration.json and every figure as SVG and PNG into outDir; returns the paths written. */
export async function writeCalibration(
  outDir: string,
  c: Calibration,
  data: Pick<Dataset, "servers" | "kDim" | "config" | "warnings">,
): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const written: string[] = [];
  const put = async (name: string, content: string | Buffer): Promise<void> => {
    const path = join(outDir, name);
    await writeFile(path, content);
    written.push(path);
  };
  const svgs: Record<string, string> = {
    [FIGURES.heatmap]: heatmapSvg(c, [...new Set(data.servers.map((s) => s.name))]),
    [FIGURES.separation]: separationSvg(c),
    [FIGURES.threshold]: thresholdSvg(c, otherPolicy(c)),
  };
  for (const [stem, svg] of Object.entries(svgs)) {
    await put(`${stem}.svg`, svg);
    await put(`${stem}.png`, svgToPng(svg));
  }
  await put("calibration.json", `${JSON.stringify(calibrationJson(c), null, 2)}\n`);
  await put("report.md", renderReport(c, data));
  return written;
}
