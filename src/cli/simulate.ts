// `pocval simulate`: the verdict's error rates for one validator or a stake-weighted network.
import {
  DEFAULT_ALPHA,
  DEFAULT_CHECKS,
  DEFAULT_FP_RATE,
  DEFAULT_SEED,
  formatPercent,
  formatProbability,
  loadStakes,
  type NetworkResult,
  networkSvg,
  type RateResult,
  renderTable,
  type SingleResult,
  StakesFileError,
  simulateNetwork,
  simulateRate,
  simulateSingle,
  simulateSlotNetwork,
  singleSvg,
  writeFigure,
} from "../analysis/index.js";
import { CommandError, intFlag, numberFlag, printJson, requireString, UsageError } from "./args.js";
import { command, type FlagValues, group } from "./command.js";
import { runCoalition, runSkipCurve } from "./simulate-coalition.js";
import { hardwareFlags, runHardwareNetwork } from "./simulate-hardware.js";

const testFlags = {
  n: { type: "string", arg: "N", help: "checks per validator" },
  "fp-rate": {
    type: "string",
    arg: "P0",
    help: `honest mismatch rate, strictly in (0, 1) (default ${DEFAULT_FP_RATE})`,
  },
  alpha: { type: "string", arg: "A", help: `significance level (default ${DEFAULT_ALPHA})` },
  json: { type: "boolean", help: "print one JSON object" },
  plot: { type: "string", arg: "FILE", help: "also draw the figure to FILE (.svg or .png)" },
} as const;

/** Writes the figure when --plot FILE (.svg or .png) is given; says so on stderr to keep stdout one object. */
async function plot(values: { plot?: string }, svg: () => string): Promise<void> {
  if (values.plot === undefined) return;
  if (!/\.(svg|png)$/i.test(values.plot))
    throw new UsageError(`--plot must name a .svg or .png file, got "${values.plot}"`);
  try {
    await writeFigure(values.plot, svg());
  } catch (err) {
    throw new CommandError(`--plot ${values.plot}: ${(err as Error).message}`, { cause: err });
  }
  process.stderr.write(`wrote ${values.plot}\n`);
}

function testSettings(values: Record<string, unknown>, nDefault?: number) {
  const fpRate = numberFlag(values, "fp-rate", { min: 0, max: 1, default: DEFAULT_FP_RATE });
  // The binomial test needs a null rate it can exceed and fall short of.
  if (fpRate <= 0 || fpRate >= 1) throw new UsageError(`--fp-rate must be strictly between 0 and 1, got ${fpRate}`);
  return {
    n: intFlag(values, "n", { min: 1, max: 10_000_000, default: nDefault }),
    fpRate,
    alpha: numberFlag(values, "alpha", { min: 0, max: 1, default: DEFAULT_ALPHA }),
  };
}

function testLine(r: { n: number; fpRate: number; alpha: number; kCrit: number }): string {
  const vote = r.kCrit > r.n ? "never votes cheater" : `votes cheater iff k >= ${r.kCrit}`;
  return `N = ${r.n} checks, honest mismatch rate ${formatPercent(r.fpRate)}, alpha ${r.alpha}: a validator ${vote}`;
}

function printSingle(r: SingleResult): void {
  const rows = r.rows.map((row) => [
    String(row.k),
    formatPercent(row.k / r.n),
    formatProbability(row.pValue),
    row.cheater ? "CHEATER" : "honest",
  ]);
  process.stdout.write(
    `${testLine(r)}\n\n${renderTable(["k", "k/N", "p-value", "vote"], rows, ["right", "right", "right", "left"])}\n`,
  );
}

function printRate(r: RateResult): void {
  const rows = r.rows.map((row) => [
    formatPercent(row.rate),
    formatProbability(row.exact),
    `${row.detected}/${r.samples}`,
    formatProbability(row.monteCarlo),
    `[${formatProbability(row.ci95[0])}, ${formatProbability(row.ci95[1])}]`,
    row.exact >= row.ci95[0] && row.exact <= row.ci95[1] ? "yes" : "no",
    row.meanMismatches.toFixed(2),
  ]);
  process.stdout.write(
    `${testLine(r)}\nP[vote cheater] at each true mismatch rate: exact, and Monte Carlo over ${r.samples} samples (seed ${r.seed}, Wilson 95% interval)\n\n` +
      `${renderTable(["rate", "exact", "detected", "monte carlo", "95% interval", "exact inside", "mean k"], rows, [
        "right",
        "right",
        "right",
        "right",
        "left",
        "left",
        "right",
      ])}\n`,
  );
}

function printNetwork(r: NetworkResult): void {
  const { exact, monteCarlo: mc } = r;
  const d = exact.discretisation;
  const rows = [
    [
      "P[convicted]",
      formatProbability(exact.pConvicted),
      `${formatProbability(mc.pConvicted)} (${mc.convicted}/${mc.rounds})`,
      `[${formatProbability(mc.ci95[0])}, ${formatProbability(mc.ci95[1])}]`,
    ],
    ["share median", formatPercent(exact.shareMedian), formatPercent(mc.shareMedian), ""],
    ["share p95", formatPercent(exact.shareP95), formatPercent(mc.shareP95), ""],
    ["share max", "", formatPercent(mc.shareMax), ""],
  ];
  const grid = d.exact
    ? `exact distribution on the stakes themselves (${d.gridTotal} units after dividing by their gcd)`
    : `exact distribution on a grid of ${d.gridTotal} units: share within ${d.maxShareError.toExponential(2)} of the stakes', P[convicted] in [${formatProbability(exact.pConvictedBounds[0])}, ${formatProbability(exact.pConvictedBounds[1])}]`;
  process.stdout.write(
    `${r.validators} validators, total stake ${r.totalStake}; target's true mismatch rate ${formatPercent(r.rate)}\n` +
      `${testLine(r)}: P = ${formatProbability(r.detectionProbability)} per validator\n` +
      `convicted iff the stake share voting cheater is strictly above ${formatPercent(r.quorum)}\n\n` +
      `${renderTable(["", "exact", `monte carlo (seed ${mc.seed})`, "95% interval"], rows)}\n\n${grid}\n`,
  );
}

const networkFlags = {
  ...testFlags,
  stakes: { type: "string", arg: "FILE", help: "JSON array of stakes (integers or {stake} objects)", required: true },
  rate: {
    type: "string",
    arg: "R",
    help: "the target's true mismatch rate, in [0, 1] (required unless --validator-servers)",
  },
  quorum: { type: "string", arg: "Q", help: "convicted iff the cheater share is above Q (default 0.5)" },
  rounds: { type: "string", arg: "N", help: "Monte Carlo rounds (default 100000)" },
  seed: { type: "string", arg: "S", help: "the Monte Carlo seed" },
  slots: {
    type: "string",
    arg: "M",
    help: "version 2: M validation slots drawn by stake (exact DP beside Monte Carlo)",
  },
  "byzantine-stake": {
    type: "string",
    arg: "F",
    help: "a coalition holding F of all stake (decimal or a/b, below 1) votes as one (exact)",
  },
  "byzantine-goal": {
    type: "string",
    arg: "frame|shield",
    help: "the coalition always votes CHEATER (frame, default) or HONEST (shield)",
  },
  "skip-curve": {
    type: "boolean",
    help: "P[convicted | r(s)] for a participant skipping s of its nonces (s = 0.0005 .. 0.5), and s*",
  },
  ...hardwareFlags,
} as const;

async function runNetwork(values: FlagValues<typeof networkFlags>): Promise<void> {
  // Validators on different hardware: src/cli/simulate-hardware.ts.
  if (values["validator-servers"] !== undefined) return runHardwareNetwork(values);
  if (values.rate === undefined && !values["skip-curve"]) {
    throw new UsageError("missing required flag --rate (or give --validator-servers or --skip-curve)");
  }
  const stakesFile = requireString(values, "stakes");
  const rate = values["skip-curve"] ? Number.NaN : numberFlag(values, "rate", { min: 0, max: 1 });
  const settings = testSettings(values, DEFAULT_CHECKS);
  const quorum = numberFlag(values, "quorum", { min: 0, max: 1, default: 0.5 });
  // The per-round shares are kept for the percentiles: 10^7 rounds is 80 MB.
  const rounds = intFlag(values, "rounds", { min: 1, max: 10_000_000, default: 100_000 });
  const seed = intFlag(values, "seed", { min: 0, default: DEFAULT_SEED });
  let stakes: bigint[];
  try {
    stakes = await loadStakes(stakesFile);
  } catch (err) {
    if (err instanceof StakesFileError) throw new UsageError(`--stakes ${err.message}`, { cause: err });
    throw err;
  }
  if (values["skip-curve"]) return runSkipCurve(values, stakes, settings);
  if (values["byzantine-stake"] !== undefined) return runCoalition(values, stakes, rate, settings);
  if (values.slots !== undefined) {
    if (values.plot !== undefined) throw new UsageError("--plot is not drawn for --slots");
    const slots = intFlag(values, "slots", { min: 1, max: 2000 });
    const [, decimals = ""] = String(quorum).split(".");
    const quorumFraction = { num: BigInt(String(quorum).replace(".", "")), den: 10n ** BigInt(decimals.length) };
    const s = simulateSlotNetwork({ stakes, slots, rate, ...settings, quorum: quorumFraction, rounds, seed });
    const out = {
      validators: s.validators,
      slots: s.slots,
      n: s.n,
      k_crit: s.kCrit,
      detection_probability: s.detectionProbability,
      expected_holders: s.expectedHolders,
      recomputes_per_participant: s.expectedHolders * s.n,
      exact: { p_convicted: s.exact.pConvicted, cheater_slots: s.exact.cheaterSlots },
      monte_carlo: { rounds: s.monteCarlo.rounds, p_convicted: s.monteCarlo.pConvicted, ci95: s.monteCarlo.ci95 },
    };
    if (values.json) return printJson(out);
    process.stdout.write(
      `${s.validators} validators, ${slots} slots by stake (about ${s.expectedHolders.toFixed(1)} holders, ${(s.expectedHolders * s.n).toFixed(0)} recomputes per participant)\n` +
        `${testLine(s)}: P = ${formatProbability(s.detectionProbability)} per holder\n` +
        `P[convicted]: exact ${formatProbability(s.exact.pConvicted)}; Monte Carlo ${formatProbability(s.monteCarlo.pConvicted)} (${s.monteCarlo.convicted}/${rounds}, seed ${seed}) [${formatProbability(s.monteCarlo.ci95[0])}, ${formatProbability(s.monteCarlo.ci95[1])}]\n`,
    );
    return;
  }
  const r = simulateNetwork({ stakes, rate, ...settings, quorum, rounds, seed });
  await plot(values, () => networkSvg(r));
  if (!values.json) return printNetwork(r);
  printJson({
    exact: { p_convicted: r.exact.pConvicted, share_median: r.exact.shareMedian, share_p95: r.exact.shareP95 },
    monte_carlo: {
      rounds: r.monteCarlo.rounds,
      p_convicted: r.monteCarlo.pConvicted,
      ci95: r.monteCarlo.ci95,
      share_median: r.monteCarlo.shareMedian,
      share_p95: r.monteCarlo.shareP95,
      share_max: r.monteCarlo.shareMax,
    },
  });
}

function parseRates(text: string): number[] {
  return text.split(",").map((part, i) => {
    const v = part.trim() === "" ? Number.NaN : Number(part);
    if (!(v >= 0 && v <= 1)) throw new UsageError(`--rates: entry ${i + 1} must be a number in [0, 1], got "${part}"`);
    return v;
  });
}

/** `pocval simulate single|rate|network`: the report's simulations, human tables or --json. */
export default group("simulate", {
  single: command({
    summary: "the p-value and vote for each mismatch count k",
    flags: { ...testFlags, "k-max": { type: "string", arg: "K", help: "the largest k shown" } },
    async run(values) {
      const settings = testSettings(values);
      const kMax = values["k-max"] === undefined ? undefined : intFlag(values, "k-max", { min: 0 });
      const r = simulateSingle({ ...settings, kMax });
      await plot(values, () => singleSvg(r));
      if (!values.json) return printSingle(r);
      printJson({
        n: r.n,
        fp_rate: r.fpRate,
        alpha: r.alpha,
        k_crit: r.kCrit,
        rows: r.rows.map((row) => ({ k: row.k, p_value: row.pValue, cheater: row.cheater })),
      });
    },
  }),
  rate: command({
    summary: "P[vote cheater] at each true mismatch rate, exact and Monte Carlo",
    flags: {
      ...testFlags,
      rates: { type: "string", arg: "R1,R2,...", help: "true mismatch rates, each in [0, 1]", required: true },
      samples: { type: "string", arg: "N", help: "Monte Carlo samples (default 1000)" },
      seed: { type: "string", arg: "S", help: "the Monte Carlo seed" },
    },
    run(values) {
      if (values.plot !== undefined) throw new UsageError("--plot is for `simulate single` and `simulate network`");
      const rates = parseRates(requireString(values, "rates"));
      const settings = testSettings(values, DEFAULT_CHECKS);
      const samples = intFlag(values, "samples", { min: 1, max: 100_000_000, default: 1000 });
      const seed = intFlag(values, "seed", { min: 0, default: DEFAULT_SEED });
      const r = simulateRate({ rates, ...settings, samples, seed });
      if (!values.json) return printRate(r);
      printJson({
        n: r.n,
        fp_rate: r.fpRate,
        alpha: r.alpha,
        k_crit: r.kCrit,
        samples: r.samples,
        seed: r.seed,
        rates: r.rows.map((row) => ({
          rate: row.rate,
          exact: row.exact,
          detected: row.detected,
          monte_carlo: row.monteCarlo,
          ci95: row.ci95,
          mean_mismatches: row.meanMismatches,
        })),
      });
    },
  }),
  network: command({
    summary: "P[a stake-weighted network convicts], exact and Monte Carlo",
    flags: networkFlags,
    run: runNetwork,
  }),
});
