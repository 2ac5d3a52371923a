// `pocval stats`: binomial test and power figures of the protocol's statistics.
import { binomialPValue, detectionPower } from "../core/stats.js";
import { intFlag, numberFlag, printJson } from "./args.js";
import { command, group } from "./command.js";

// Imports core/stats.js itself, not the core barrel: `pocval stats` must not load zod, curves or cosmjs.

/** `pocval stats binom|power`: always one JSON object. */
export default group("stats", {
  binom: command({
    summary: "one-sided binomial test (alternative greater): prints {p_value}",
    flags: {
      k: { type: "string", arg: "K", help: "observed mismatches, 0..N", required: true },
      n: { type: "string", arg: "N", help: "checks made (a non-negative integer)", required: true },
      p: { type: "string", arg: "P", help: "mismatch probability under the null, in [0, 1]", required: true },
    },
    run(values) {
      const n = intFlag(values, "n", { min: 0 });
      const k = intFlag(values, "k", { min: 0, max: n });
      const p = numberFlag(values, "p", { min: 0, max: 1 });
      printJson({ p_value: binomialPValue(k, n, p) });
    },
  }),
  power: command({
    summary: "the critical count and detection power: prints {k_crit, power, false_positive_rate}",
    flags: {
      n: { type: "string", arg: "N", help: "checks made (>= 1)", required: true },
      "fp-rate": { type: "string", arg: "P0", help: "honest mismatch rate, in [0, 1]", required: true },
      alpha: { type: "string", arg: "A", help: "significance level, in [0, 1]", required: true },
      rate: { type: "string", arg: "P1", help: "a cheater's mismatch rate, in [0, 1]", required: true },
    },
    run(values) {
      const n = intFlag(values, "n", { min: 1 });
      const fpRate = numberFlag(values, "fp-rate", { min: 0, max: 1 });
      const alpha = numberFlag(values, "alpha", { min: 0, max: 1 });
      const rate = numberFlag(values, "rate", { min: 0, max: 1 });
      const result = detectionPower(n, fpRate, alpha, rate);
      printJson({ k_crit: result.kCrit, power: result.power, false_positive_rate: result.falsePositiveRate });
    },
  }),
});
