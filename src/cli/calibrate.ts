// `pocval calibrate`: the distance threshold from a collected data set.
import { join } from "node:path";
import {
  CalibrationError,
  calibrate,
  calibrationJson,
  DatasetError,
  formatPValue,
  loadDataset,
  POLICIES,
  type Policy,
  renderTable,
  writeCalibration,
} from "../analysis/index.js";
import { CommandError, numberFlag, printJson, requireString, UsageError } from "./args.js";
import { command, type FlagValues, group } from "./command.js";

const flags = {
  data: { type: "string", arg: "DIR", help: "the data collection tool's output folder", required: true },
  percentile: { type: "string", arg: "P", help: "the honest-distance percentile for the threshold (default 98)" },
  policy: { type: "string", arg: "pooled|worst-pair", help: "how the threshold is chosen (default pooled)" },
  out: { type: "string", arg: "DIR", help: "where the report and figures go (default DIR/calibration)" },
  honest: { type: "string", arg: "A,B,...", help: "the honest servers, instead of the clustering's guess" },
  json: { type: "boolean", help: "print one JSON object" },
} as const;

/** `pocval calibrate --data DIR [--percentile 98] [--policy pooled|worst-pair] [--out DIR] [--honest a,b,...] [--json]`. */
export default group("calibrate", {
  "": command({ summary: "the report's distance analysis, threshold and plots", flags, run }),
});

async function run(values: FlagValues<typeof flags>): Promise<void> {
  const dataDir = requireString(values, "data");
  const percentile = numberFlag(values, "percentile", { min: 0, max: 100, default: 98 });
  if (percentile <= 0 || percentile >= 100)
    throw new UsageError(`--percentile must be strictly between 0 and 100, got ${percentile}`);
  const policy = (values.policy ?? "pooled") as Policy;
  if (!POLICIES.includes(policy))
    throw new UsageError(`--policy must be one of ${POLICIES.join(", ")}, got "${values.policy}"`);
  const outDir = values.out ?? join(dataDir, "calibration");
  const honest = values.honest?.split(",").map((s) => s.trim());
  if (honest?.some((s) => s === ""))
    throw new UsageError(`--honest: expected server names separated by commas, got "${values.honest}"`);

  let dataset: Awaited<ReturnType<typeof loadDataset>>;
  try {
    dataset = await loadDataset(dataDir);
  } catch (err) {
    if (err instanceof DatasetError) throw new UsageError(err.message, { cause: err });
    throw err;
  }
  let result: ReturnType<typeof calibrate>;
  try {
    result = calibrate(dataset.servers, { percentile, honest, policy });
  } catch (err) {
    if (err instanceof CalibrationError) {
      if (err.option === "honest" && honest) throw new UsageError(`--${err.message}`);
      throw new CommandError(err.message, { cause: err });
    }
    throw err;
  }
  for (const w of [...dataset.warnings, ...result.warnings]) process.stderr.write(`warning: ${w}\n`);
  const written = await writeCalibration(outDir, result, dataset);

  if (values.json) return printJson(calibrationJson(result));
  const rows = result.pairs.map((p) => [
    `${p.a} vs ${p.b}`,
    String(p.n),
    `${p.mean.toFixed(6)} ± ${p.std.toFixed(6)}`,
    p.max.toFixed(4),
    p.identical ? `${p.cluster}, identical` : p.cluster,
    `${p.mismatches}`,
    `${(p.rate * 100).toFixed(2)}%`,
    `${(p.rateUpper * 100).toFixed(2)}%`,
    formatPValue(p.pValue),
  ]);
  process.stdout.write(
    `${renderTable(["pair", "n", "mean ± std", "max", "cluster", "mismatches", "rate", "rate_upper", "p-value"], rows, [
      "left",
      "right",
      "right",
      "right",
      "left",
      "right",
      "right",
      "right",
      "right",
    ])}\n\n` +
      `threshold ${result.threshold.toFixed(6)} (policy ${result.policy}: ${
        result.policy === "pooled"
          ? `${result.percentile}th percentile of ${result.honestDistances} pooled honest distances`
          : `largest ${result.percentile}th percentile of the honest, non-identical pairs`
      })\n` +
      `false positives ${result.falsePositives}/${result.honestDistances} (fp_rate ${(result.fpRate * 100).toFixed(2)}%); ` +
      `fp_rate_upper ${(result.fpRateUpper * 100).toFixed(2)}% (largest honest pair's 95% upper bound: propose it as the chain's fp_rate)\n` +
      `honest servers: ${result.honestServers.join(", ")}; cheater servers: ${result.cheaterServers.join(", ") || "none"}\n` +
      (result.identicalPairs.length > 0
        ? `identical pairs (same kernels): ${result.identicalPairs.map(([a, b]) => `${a} = ${b}`).join(", ")}\n`
        : "") +
      `wrote ${written.length} files to ${outDir} (report.md, calibration.json, figures as SVG and PNG)\n`,
  );
}
