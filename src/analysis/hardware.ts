// An honest participant's conviction risk in a network whose validators run on different
// hardware: each validator flags with the binomial tail at its own pair rate (from a
// calibration), and the stake-weighted vote is summed exactly.
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { binomialPValue, criticalCount, PocvalError } from "../core/index.js";
import { type ExactNetwork, exactMixedNetwork, SHARE_BINS } from "./network.js";
import { COLORS, renderChart, type Series, viridis } from "./plot/index.js";
import { checkChecks, checkProbability, DEFAULT_ALPHA, DEFAULT_CHECKS, SimulationInputError } from "./simulate.js";
import { cheaterSlotDistribution, slotConviction } from "./slots.js";

/** The parts of `calibration.json` (`pocval calibrate --json`) a hardware network reads. */
export const calibrationFileSchema = z.looseObject({
  threshold: z.number().nonnegative(),
  policy: z.enum(["pooled", "worst-pair"]).optional(),
  honest_servers: z.array(z.string()).optional(),
  fp_rate: z.number().min(0).max(1),
  fp_rate_upper: z.number().min(0).max(1).optional(),
  pairs: z
    .array(
      z.looseObject({
        a: z.string().min(1),
        b: z.string().min(1),
        n: z.number().int().positive(),
        rate: z.number().min(0).max(1).optional(),
        mismatches: z.number().int().nonnegative(),
        identical: z.boolean().optional(),
        cluster: z.enum(["honest", "cheater"]).optional(),
      }),
    )
    .min(1, "must hold at least one pair"),
});
export type CalibrationFile = z.infer<typeof calibrationFileSchema>;

/** Raised for a calibration file that cannot be read; names the file and the field. */
export class CalibrationFileError extends PocvalError {
  override name = "CalibrationFileError";
  constructor(
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${message}`, options);
  }
}

/** Reads and validates a `calibration.json`. */
export async function loadCalibrationFile(file: string): Promise<CalibrationFile> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    throw new CalibrationFileError(file, `cannot read: ${(err as Error).message}`, { cause: err });
  }
  const parsed = calibrationFileSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CalibrationFileError(file, `${issue.path.join(".") || "top level"}: ${issue.message}`);
  }
  return parsed.data;
}

/** The servers a calibration names, in first-seen order. */
export function calibrationServers(c: CalibrationFile): string[] {
  return [...new Set(c.pairs.flatMap((p) => [p.a, p.b]))];
}

/**
 * The mismatch rate between two servers at the calibration's threshold: 0 for the same server
 * (same machine class, same kernels), else the pair's `rate` (mismatches / n).
 */
export function pairRate(c: CalibrationFile, a: string, b: string): number {
  if (a === b) return 0;
  const pair = c.pairs.find((p) => (p.a === a && p.b === b) || (p.a === b && p.b === a));
  if (!pair) {
    throw new SimulationInputError(
      "calibration",
      `no pair "${a}" vs "${b}" (servers: ${calibrationServers(c).join(", ")})`,
    );
  }
  return pair.rate ?? pair.mismatches / pair.n;
}

export interface HardwareNetworkOptions {
  /** Validator stakes, positive integers. */
  stakes: readonly (number | bigint)[];
  /** The server class of each validator, in the stakes' order. */
  validatorServers: readonly string[];
  calibration: CalibrationFile;
  /** The honest participant's server class. */
  participantServer: string;
  n?: number;
  /** The chain's fp_rate; default the calibration's fp_rate_upper (worst-pair) or fp_rate (pooled). */
  fpRate?: number;
  alpha?: number;
  quorum?: number;
  /** Version 2: M validation slots drawn by stake, each holder voting once for all its slots. */
  slots?: number;
}

/** One participant class's risk. */
export interface ClassRisk {
  server: string;
  /** P[convicted] of an honest participant on this class. */
  pConvicted: number;
  /** Largest pair rate between a validator's class and this one. */
  perValidatorRateMax: number;
  /** Largest P[one validator votes cheater]. */
  perValidatorFlagMax: number;
}

export interface HardwareNetworkResult {
  n: number;
  fpRate: number;
  alpha: number;
  quorum: number;
  kCrit: number;
  policy: string;
  participantServer: string;
  slots?: number;
  /** Per validator: its pair rate with the participant and its probability to vote cheater. */
  rates: number[];
  flags: number[];
  perValidatorRateMax: number;
  exact: ExactNetwork;
  /** The same figure for a participant on every class (the calibration's servers and the validators'). */
  classes: ClassRisk[];
}

function classRisk(
  o: HardwareNetworkOptions,
  server: string,
  kCrit: number,
  n: number,
  quorum: number,
): { rates: number[]; flags: number[]; exact: ExactNetwork } {
  const rates = o.validatorServers.map((v) => pairRate(o.calibration, v, server));
  const flags = rates.map((r) => (r === 0 ? 0 : binomialPValue(kCrit, n, r)));
  const exact =
    o.slots === undefined
      ? exactMixedNetwork(o.stakes, flags, quorum)
      : slotNetwork(cheaterSlotDistribution(o.stakes, o.slots, flags)[o.slots]!, quorum);
  return { rates, flags, exact };
}

/** The quorum's shortest decimal form as a fraction (0.5 -> 1/2 as 5/10), as the chain compares it. */
function quorumFraction(quorum: number): { num: bigint; den: bigint } {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(String(quorum));
  if (!m) throw new SimulationInputError("quorum", `must be a plain decimal, got ${quorum}`);
  const decimals = m[2] ?? "";
  return { num: BigInt(m[1]! + decimals), den: 10n ** BigInt(decimals.length) };
}

/** The slot design's figures in ExactNetwork's shape: the share is cheater slots / M. */
function slotNetwork(row: Float64Array, quorum: number): ExactNetwork {
  const m = row.length - 1;
  const pConvicted = slotConviction(row, quorumFraction(quorum));
  const quantile = (p: number): number => {
    let cum = 0;
    for (let c = 0; c <= m; c++) {
      cum += row[c]!;
      if (cum >= p) return c / m;
    }
    return 1;
  };
  const shareHistogram = new Array<number>(SHARE_BINS).fill(0);
  for (let c = 0; c <= m; c++) shareHistogram[Math.min(SHARE_BINS - 1, Math.floor((c / m) * SHARE_BINS))]! += row[c]!;
  return {
    pConvicted,
    pConvictedBounds: [pConvicted, pConvicted],
    shareMedian: quantile(0.5),
    shareP95: quantile(0.95),
    discretisation: { exact: true, gridTotal: m, maxShareError: 0 },
    shareHistogram,
  };
}

/**
 * Exact conviction probability of an honest participant on `participantServer` when validator
 * i runs on `validatorServers[i]`: it votes cheater with P[Binomial(n, r_i) >= k_crit], r_i the
 * calibration's pair rate (0 for the same server), and the stake share voting cheater must be
 * strictly above the quorum. Also the same figure for a participant on every class.
 */
export function hardwareNetwork(o: HardwareNetworkOptions): HardwareNetworkResult {
  const n = o.n ?? DEFAULT_CHECKS;
  const fpRate =
    o.fpRate ??
    (o.calibration.policy === "worst-pair" ? o.calibration.fp_rate_upper : undefined) ??
    o.calibration.fp_rate;
  const alpha = o.alpha ?? DEFAULT_ALPHA;
  const quorum = o.quorum ?? 0.5;
  checkChecks(n);
  checkProbability(fpRate, "fpRate", true);
  checkProbability(alpha, "alpha");
  checkProbability(quorum, "quorum");
  if (o.validatorServers.length !== o.stakes.length) {
    throw new SimulationInputError(
      "validator-servers",
      `names ${o.validatorServers.length} servers but the stakes file has ${o.stakes.length} validators`,
    );
  }
  const known = new Set([...calibrationServers(o.calibration), ...o.validatorServers]);
  if (!known.has(o.participantServer)) {
    throw new SimulationInputError(
      "participant-server",
      `"${o.participantServer}" is not a server of the calibration (${calibrationServers(o.calibration).join(", ")})`,
    );
  }
  const kCrit = criticalCount(n, fpRate, alpha);
  const mine = classRisk(o, o.participantServer, kCrit, n, quorum);
  // Every class that honest validators could face: the calibration's honest servers and the validators' own.
  const honest = o.calibration.honest_servers ?? calibrationServers(o.calibration);
  const classes = [...new Set([...o.validatorServers, ...honest, o.participantServer])].map((server) => {
    const r = server === o.participantServer ? mine : classRisk(o, server, kCrit, n, quorum);
    return {
      server,
      pConvicted: r.exact.pConvicted,
      perValidatorRateMax: Math.max(...r.rates),
      perValidatorFlagMax: Math.max(...r.flags),
    };
  });
  return {
    n,
    fpRate,
    alpha,
    quorum,
    kCrit,
    policy: o.calibration.policy ?? "pooled",
    participantServer: o.participantServer,
    ...(o.slots !== undefined && { slots: o.slots }),
    rates: mine.rates,
    flags: mine.flags,
    perValidatorRateMax: Math.max(...mine.rates),
    exact: mine.exact,
    classes,
  };
}

/** The JSON of docs/cli.md (`simulate network --validator-servers ... --json`). */
export function hardwareNetworkJson(r: HardwareNetworkResult): Record<string, unknown> {
  return {
    exact: { p_convicted: r.exact.pConvicted, share_median: r.exact.shareMedian, share_p95: r.exact.shareP95 },
    per_validator_rate_max: r.perValidatorRateMax,
    participant_server: r.participantServer,
    policy: r.policy,
    ...(r.slots !== undefined && { slots: r.slots }),
    n: r.n,
    fp_rate: r.fpRate,
    alpha: r.alpha,
    quorum: r.quorum,
    k_crit: r.kCrit,
    validators: r.rates.map((rate, i) => ({ rate, p_flag: r.flags[i] })),
    per_class: r.classes.map((c) => ({
      server: c.server,
      p_convicted: c.pConvicted,
      per_validator_rate_max: c.perValidatorRateMax,
      per_validator_flag_max: c.perValidatorFlagMax,
    })),
  };
}

/** Bars of each class's conviction probability on a log axis (floored at 1e-15 so that 0 shows). */
export function hardwareSvg(r: HardwareNetworkResult): string {
  const FLOOR = 1e-15;
  const smallest = Math.min(1e-6, ...r.classes.map((c) => Math.max(FLOOR, c.pConvicted)));
  const yMin = 10 ** Math.floor(Math.log10(smallest));
  const series: Series[] = r.classes.map((c, i) => ({
    kind: "bars",
    label: `${c.server}${c.server === r.participantServer ? " (participant)" : ""}: ${c.pConvicted === 0 ? "0" : c.pConvicted.toExponential(2)}, rate max ${(c.perValidatorRateMax * 100).toFixed(2)}%`,
    color: r.classes.length === 1 ? COLORS.honest : viridis(i / (r.classes.length - 1)),
    edges: [i + 0.15, i + 0.85],
    heights: [Math.max(yMin, c.pConvicted)],
    opacity: 0.85,
  }));
  return renderChart({
    title: "Conviction risk of an honest participant, by its hardware class",
    subtitle: `policy ${r.policy}, N = ${r.n}, fp_rate ${r.fpRate.toPrecision(4)}, alpha ${r.alpha}, k_crit ${r.kCrit}, quorum ${r.quorum}; validators on their own classes`,
    xLabel: "participant's server class (one bar each, see legend)",
    yLabel: "P[honest participant convicted]",
    x: { min: 0, max: r.classes.length, format: () => "" },
    y: { min: yMin, max: 1, log: true, format: (v) => v.toExponential(0) },
    series,
    hlines: [{ at: 1e-6, label: "1e-6", color: COLORS.muted, dash: "4 4" }],
  });
}
