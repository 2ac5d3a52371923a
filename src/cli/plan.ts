// `pocval plan`: the cheapest validation design meeting every bound (exact), and the Pareto front of
// cost against s* (src/analysis/plan.ts).
import {
  CalibrationFileError,
  type Design,
  loadCalibrationFile,
  loadStakes,
  type Plan,
  planDesigns,
  planSvg,
  StakesFileError,
  writeFigure,
} from "../analysis/index.js";
import { CommandError, numberFlag, printJson, requireString, UsageError } from "./args.js";
import { command, group } from "./command.js";
import { parseShare } from "./simulate-coalition.js";

function list(text: string | undefined, flag: string): number[] | undefined {
  if (text === undefined) return undefined;
  return text.split(",").map((part) => {
    const v = Number(part);
    if (!(Number.isSafeInteger(v) && v >= 0))
      throw new UsageError(`--${flag}: "${part}" is not a non-negative integer`);
    return v;
  });
}

function skipList(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  return text.split(",").map((part) => {
    const v = Number(part);
    if (!(v > 0 && v <= 0.5)) throw new UsageError(`--front-skips: "${part}" is not an s* bound in (0, 0.5]`);
    return v;
  });
}

function designLine(d: Design): string {
  const extra = [
    d.p_frame === undefined ? "" : `P[frame] ${d.p_frame.toExponential(3)}`,
    d.p_shield_escape === undefined ? "" : `P[shield escape] ${d.p_shield_escape.toExponential(3)}`,
    d.p_detection === undefined ? "" : `P[detection] ${d.p_detection.toFixed(6)}`,
  ].filter((s) => s !== "");
  return (
    `${d.slots === 0 ? "every validator" : `${d.slots} slots`}, n ${d.n}, k_crit ${d.k_crit} (alpha ${d.alpha})` +
    `${d.acceptance_rate === null ? "" : `, early acceptance at ${d.acceptance_rate}`}: ` +
    `P[false conviction] ${d.p_false_conviction.toExponential(3)} (at 1.25x the honest rate ${d.p_false_conviction_at_1_25x.toExponential(3)}), ` +
    `s* ${d.s_star}${extra.length ? `, ${extra.join(", ")}` : ""}; ` +
    `${Math.round(d.curtailed_recomputes_honest)} recomputes per participant curtailed (${Math.round(d.recomputes_per_participant)} full sample)`
  );
}

function printPlan(p: Plan): void {
  const front = p.front.map(
    (d) =>
      `${d.s_star.toFixed(4).padStart(7)} ${String(d.slots).padStart(5)} ${String(d.n).padStart(5)} ${String(d.k_crit).padStart(5)}  ${(d.acceptance_rate ?? "-").padStart(6)}  ${d.p_false_conviction.toExponential(2).padStart(9)}  ${Math.round(d.curtailed_recomputes_honest).toString().padStart(9)}  ${Math.round(d.recomputes_per_participant).toString().padStart(9)}`,
  );
  process.stdout.write(
    `${p.validators} validators, honest rate ${p.honest_rate}; ${p.candidates} (slots, n) candidates, ${p.verified} decided in full; ${p.seconds.toFixed(1)} s\n` +
      `best: ${p.best ? designLine(p.best) : "no design meets every bound"}\n` +
      (p.best_without_early_acceptance === undefined
        ? ""
        : `without early acceptance: ${p.best_without_early_acceptance ? designLine(p.best_without_early_acceptance) : "no design meets every bound"}\n`) +
      "\n" +
      `Pareto front, cost against s*:\n     s* slots     n kcrit  lambda  P[false]   curtailed       full\n${front.join("\n")}\n`,
  );
}

/** The honest rate: --honest-rate, or a calibration's fp_rate_upper rounded up to 6 significant digits. */
async function honestRateOf(values: Record<string, unknown>): Promise<string> {
  if (values.calibration !== undefined) {
    if (values["honest-rate"] !== undefined) throw new UsageError("give --honest-rate or --calibration, not both");
    const file = String(values.calibration);
    try {
      const c = await loadCalibrationFile(file);
      const upper = c.fp_rate_upper ?? c.fp_rate;
      if (!(upper > 0 && upper < 1))
        throw new UsageError(`--calibration ${file}: fp_rate_upper ${upper} is not in (0, 1)`);
      const scale = 10 ** (Math.floor(Math.log10(upper)) - 5);
      return String(Number((Math.ceil(upper / scale) * scale).toPrecision(6)));
    } catch (err) {
      if (err instanceof CalibrationFileError) throw new UsageError(`--calibration ${err.message}`, { cause: err });
      throw err;
    }
  }
  const honestRate = requireString(values, "honest-rate");
  if (!/^0?\.\d+$/.test(honestRate))
    throw new UsageError(`--honest-rate must be a decimal in (0, 1), got "${honestRate}"`);
  return honestRate;
}

const optional = (values: Record<string, unknown>, name: string): number | undefined =>
  values[name] === undefined ? undefined : numberFlag(values, name, { min: 0, max: 1 });

const flags = {
  stakes: { type: "string", arg: "FILE", help: "JSON array of stakes (integers or {stake} objects)", required: true },
  "honest-rate": { type: "string", arg: "R0", help: "honest mismatch rate = the test's fp_rate (decimal)" },
  calibration: { type: "string", arg: "FILE", help: "take the honest rate from calibrate's fp_rate_upper" },
  "max-false-conviction": {
    type: "string",
    arg: "E",
    help: "bound on P[an honest participant is convicted]",
    required: true,
  },
  "byzantine-stake": { type: "string", arg: "F", help: "a coalition's share of all stake (decimal or a/b)" },
  "max-frame": { type: "string", arg: "E2", help: "bound on P[the coalition convicts an honest participant]" },
  "max-profitable-skip": { type: "string", arg: "S", help: "s* <= S: skipping more than S of the nonces never pays" },
  "max-shield-escape": { type: "string", arg: "E3", help: "bound on P[a shielded cheater at --shield-rate escapes]" },
  "shield-rate": { type: "string", arg: "R", help: "the shielded cheater's mismatch rate" },
  "min-detection": { type: "string", arg: "D", help: "floor on P[a cheater at --cheater-rate is convicted]" },
  "cheater-rate": { type: "string", arg: "R1", help: "the cheater mismatch rate to catch" },
  slots: { type: "string", arg: "M1,M2,...", help: "restrict the slot counts (default 0 and 8..1024)" },
  "sample-sizes": { type: "string", arg: "N1,N2,...", help: "restrict the sample sizes (default 10..2000)" },
  "chunk-size": { type: "string", arg: "C", help: "curtailed checks stop at multiples of C (default 20)" },
  "early-acceptance": {
    type: "boolean",
    help: "also search checks with early acceptance (version 3): acceptance_rate on multiples of 0.0025 below the honest rate, n up to 300",
  },
  "front-skips": {
    type: "string",
    arg: "S1,S2,...",
    help: "s* bounds of the Pareto front besides yours, tighter or looser (default 0.05,0.1,0.2)",
  },
  json: { type: "boolean", help: "print one JSON object" },
  plot: { type: "string", arg: "FILE", help: "also draw the front to FILE (.svg or .png)" },
} as const;

async function stakesOf(file: string): Promise<bigint[]> {
  try {
    return await loadStakes(file);
  } catch (err) {
    if (err instanceof StakesFileError) throw new UsageError(`--stakes ${err.message}`, { cause: err });
    throw err;
  }
}

/** `pocval plan`: the cheapest validation design meeting every bound (exact), with its Pareto front. */
export default group("plan", {
  "": command({
    summary: "search slots, sample size and k_crit: the cheapest design meeting every bound, and cost against s*",
    flags,
    async run(values) {
      const stakes = await stakesOf(requireString(values, "stakes"));
      const plan = planDesigns({
        stakes,
        honestRate: await honestRateOf(values),
        maxFalseConviction: numberFlag(values, "max-false-conviction", { min: 0, max: 1 }),
        byzantineStake:
          values["byzantine-stake"] === undefined
            ? undefined
            : parseShare(String(values["byzantine-stake"]), "byzantine-stake"),
        maxFrame: optional(values, "max-frame"),
        maxProfitableSkip: optional(values, "max-profitable-skip"),
        maxShieldEscape: optional(values, "max-shield-escape"),
        shieldRate: optional(values, "shield-rate"),
        minDetection: optional(values, "min-detection"),
        cheaterRate: optional(values, "cheater-rate"),
        slots: list(values.slots as string | undefined, "slots"),
        sampleSizes: list(values["sample-sizes"] as string | undefined, "sample-sizes"),
        chunkSize: values["chunk-size"] === undefined ? 20 : numberFlag(values, "chunk-size", { min: 1, max: 100000 }),
        earlyAcceptance: values["early-acceptance"] === true,
        frontSkips: skipList(values["front-skips"] as string | undefined),
        onProgress: (m) => process.stderr.write(`plan: ${m}\n`),
      });
      if (values.plot !== undefined) {
        const file = String(values.plot);
        if (!/\.(svg|png)$/i.test(file)) throw new UsageError(`--plot must name a .svg or .png file, got "${file}"`);
        try {
          await writeFigure(file, planSvg(plan));
        } catch (err) {
          throw new CommandError(`--plot ${file}: ${(err as Error).message}`, { cause: err });
        }
        process.stderr.write(`wrote ${file}\n`);
      }
      if (values.json) printJson(plan);
      else printPlan(plan);
    },
  }),
});
