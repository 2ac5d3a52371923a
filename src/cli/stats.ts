import { binomialPValue, detectionPower } from "../core/index.js";
import { intFlag, numberFlag, parseFlags, printJson, UsageError } from "./args.js";

/** `pocval stats binom|power`: always one JSON object. */
export async function run(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === "binom") {
    const { values } = parseFlags(rest, { k: { type: "string" }, n: { type: "string" }, p: { type: "string" } });
    const n = intFlag(values, "n", { min: 0 });
    const k = intFlag(values, "k", { min: 0, max: n });
    const p = numberFlag(values, "p", { min: 0, max: 1 });
    printJson({ p_value: binomialPValue(k, n, p) });
    return;
  }
  if (sub === "power") {
    const { values } = parseFlags(rest, {
      n: { type: "string" },
      "fp-rate": { type: "string" },
      alpha: { type: "string" },
      rate: { type: "string" },
    });
    const n = intFlag(values, "n", { min: 1 });
    const fpRate = numberFlag(values, "fp-rate", { min: 0, max: 1 });
    const alpha = numberFlag(values, "alpha", { min: 0, max: 1 });
    const rate = numberFlag(values, "rate", { min: 0, max: 1 });
    const result = detectionPower(n, fpRate, alpha, rate);
    printJson({ k_crit: result.kCrit, power: result.power, false_positive_rate: result.falsePositiveRate });
    return;
  }
  throw new UsageError(`stats: expected "binom" or "power", got ${sub === undefined ? "nothing" : `"${sub}"`}`);
}
