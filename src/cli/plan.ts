// `pocval plan`: the cheapest validation design meeting an error budget.
import { loadStakes, type Plan, planDesigns, planSvg, StakesFileError, writeFigure } from "../analysis/index.js";
import { CommandError, numberFlag, printJson, requireString, UsageError } from "./args.js";
import { command, group } from "./command.js";

function list(text: string | undefined, flag: string, integer: boolean): number[] | undefined {
  if (text === undefined) return undefined;
  return text.split(",").map((part) => {
    const v = Number(part);
    if (!(Number.isFinite(v) && v >= 0 && (!integer || Number.isInteger(v)))) {
      throw new UsageError(`--${flag}: "${part}" is not a ${integer ? "non-negative integer" : "number"}`);
    }
    return v;
  });
}

function printPlan(p: Plan): void {
  const lines = p.designs.map(
    (d) =>
      `${String(d.slots).padStart(5)} ${String(d.n).padStart(5)} ${d.alpha.padStart(7)} ${String(d.k_crit).padStart(4)}  ${d.p_false_conviction.toExponential(3).padStart(10)}  ${d.p_detection.toFixed(6)}  ${d.recomputes_per_participant.toFixed(0).padStart(8)}  ${d.curtailed_recomputes_cheater.toFixed(0).padStart(8)}`,
  );
  const best = p.best
    ? `best: ${p.best.slots} slots, n ${p.best.n}, alpha ${p.best.alpha} (k_crit ${p.best.k_crit}): P[false conviction] ${p.best.p_false_conviction.toExponential(3)}, P[detection] ${p.best.p_detection.toFixed(6)}, ${p.best.recomputes_per_participant.toFixed(0)} recomputes per participant`
    : "best: no design meets both bounds";
  process.stdout.write(
    `${p.validators} validators; ${p.evaluated} designs evaluated, ${p.designs.length} on the Pareto front\n` +
      `slots     n   alpha kcrit  P[false]    P[detect]  recomputes  curtailed(cheater)\n${lines.join("\n")}\n${best}\n`,
  );
}

/** `pocval plan`: the cheapest validation design meeting an error budget (exact), with its Pareto front. */
export default group("plan", {
  "": command({
    summary: "search slots, sample size and alpha: the Pareto front and the cheapest design meeting both bounds",
    flags: {
      stakes: {
        type: "string",
        arg: "FILE",
        help: "JSON array of stakes (integers or {stake} objects)",
        required: true,
      },
      "honest-rate": {
        type: "string",
        arg: "R0",
        help: "honest mismatch rate = the test's fp_rate (decimal)",
        required: true,
      },
      "cheater-rate": { type: "string", arg: "R1", help: "the cheater mismatch rate to catch", required: true },
      "max-false-conviction": {
        type: "string",
        arg: "E",
        help: "bound on P[an honest participant is convicted]",
        required: true,
      },
      "min-detection": { type: "string", arg: "D", help: "floor on P[a cheater at R1 is convicted]", required: true },
      slots: { type: "string", arg: "M1,M2,...", help: "slot counts to search (0 = every validator)" },
      "sample-sizes": { type: "string", arg: "N1,N2,...", help: "sample sizes to search" },
      alphas: { type: "string", arg: "A1,A2,...", help: "significance levels to search (decimals)" },
      "chunk-size": { type: "string", arg: "C", help: "curtailed checks stop at multiples of C (default 20)" },
      json: { type: "boolean", help: "print one JSON object" },
      plot: { type: "string", arg: "FILE", help: "also draw the front to FILE (.svg or .png)" },
    },
    async run(values) {
      let stakes: bigint[];
      try {
        stakes = await loadStakes(requireString(values, "stakes"));
      } catch (err) {
        if (err instanceof StakesFileError) throw new UsageError(`--stakes ${err.message}`, { cause: err });
        throw err;
      }
      const honestRate = requireString(values, "honest-rate");
      if (!/^0?\.\d+$|^0\.\d+$/.test(honestRate))
        throw new UsageError(`--honest-rate must be a decimal in (0, 1), got "${honestRate}"`);
      const alphas = values.alphas === undefined ? undefined : String(values.alphas).split(",");
      for (const a of alphas ?? []) {
        if (!/^0\.\d+$/.test(a)) throw new UsageError(`--alphas: "${a}" is not a decimal in (0, 1)`);
      }
      const plan = planDesigns({
        stakes,
        honestRate,
        cheaterRate: numberFlag(values, "cheater-rate", { min: 0, max: 1 }),
        maxFalseConviction: numberFlag(values, "max-false-conviction", { min: 0, max: 1 }),
        minDetection: numberFlag(values, "min-detection", { min: 0, max: 1 }),
        slots: list(values.slots as string | undefined, "slots", true),
        sampleSizes: list(values["sample-sizes"] as string | undefined, "sample-sizes", true),
        alphas,
        chunkSize: values["chunk-size"] === undefined ? 20 : numberFlag(values, "chunk-size", { min: 1, max: 100000 }),
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
