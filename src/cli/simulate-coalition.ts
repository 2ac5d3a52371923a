// `simulate network --byzantine-stake F --byzantine-goal frame|shield` and `--skip-curve`: exact
// conviction probabilities with a coalition, and when skipping nonces pays (src/analysis/coalition.ts, skip.ts).
import {
  type Coalition,
  exactConviction,
  exactWeights,
  formatProbability,
  SKIP_GRID_POINTS,
  skipCurve,
  skipSvg,
  writeFigure,
} from "../analysis/index.js";
import { binomialPValue, decimalFraction, kCrit, type Rational } from "../core/index.js";
import { CommandError, intFlag, numberFlag, printJson, UsageError } from "./args.js";

interface TestSettings {
  n: number;
  fpRate: number;
  alpha: number;
}

/** "0.25" or "1/3": a coalition's stake share, in [0, 1). */
export function parseShare(text: string, flag: string): Rational {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  let r: Rational;
  try {
    r = m ? { num: BigInt(m[1]!), den: BigInt(m[2]!) } : decimalFraction(text, `--${flag}`);
  } catch (err) {
    throw new UsageError(`--${flag}: ${(err as Error).message}`, { cause: err });
  }
  if (!(r.den > 0n && r.num < r.den)) throw new UsageError(`--${flag} must be a share in [0, 1), got "${text}"`);
  return r;
}

function coalitionOf(values: Record<string, unknown>): Coalition {
  const goal = values["byzantine-goal"] === undefined ? "frame" : String(values["byzantine-goal"]);
  if (goal !== "frame" && goal !== "shield") {
    throw new UsageError(`--byzantine-goal must be frame or shield, got "${goal}"`);
  }
  return { share: parseShare(String(values["byzantine-stake"]), "byzantine-stake"), goal };
}

function slotsOf(values: Record<string, unknown>): number {
  return values.slots === undefined ? 0 : intFlag(values, "slots", { min: 1, max: 10_000 });
}

function quorumOf(values: Record<string, unknown>): Rational {
  const text = values.quorum === undefined ? "0.5" : String(values.quorum);
  numberFlag(values, "quorum", { min: 0, max: 1, default: 0.5 });
  return decimalFraction(text, "--quorum");
}

/** The exact conviction probability of a target at `rate` when a coalition frames or shields. */
export function runCoalition(
  values: Record<string, unknown>,
  stakes: bigint[],
  rate: number,
  settings: TestSettings,
): void {
  if (values.plot !== undefined) throw new UsageError("--plot is not drawn for --byzantine-stake");
  const coalition = coalitionOf(values);
  const slots = slotsOf(values);
  const k = kCrit(settings.n, String(settings.fpRate), String(settings.alpha));
  const q = binomialPValue(k, settings.n, rate);
  const p = exactConviction(stakes, q, { slots, quorum: quorumOf(values), coalition });
  if (values.json) {
    printJson({
      validators: exactWeights(stakes).weights.length,
      slots,
      n: settings.n,
      k_crit: k,
      rate,
      byzantine_stake: Number(coalition.share.num) / Number(coalition.share.den),
      byzantine_goal: coalition.goal,
      detection_probability: q,
      exact: { p_convicted: p },
    });
    return;
  }
  process.stdout.write(
    `${exactWeights(stakes).weights.length} honest validators${slots > 0 ? `, ${slots} slots by stake` : ""}; a coalition of ${formatProbability(Number(coalition.share.num) / Number(coalition.share.den))} of all stake votes ${coalition.goal === "frame" ? "CHEATER (frame)" : "HONEST (shield)"}\n` +
      `each honest validator votes CHEATER with P = ${formatProbability(q)} (n ${settings.n}, k_crit ${k}, true rate ${rate})\n` +
      `P[convicted]: exact ${formatProbability(p)}\n`,
  );
}

/** P[convicted | r(s)] over the skip grid and s*, every validator honest; progress on stderr. */
export async function runSkipCurve(
  values: Record<string, unknown>,
  stakes: bigint[],
  settings: TestSettings,
): Promise<void> {
  if (values["byzantine-stake"] !== undefined) {
    throw new UsageError("--skip-curve assumes every validator honest: drop --byzantine-stake");
  }
  const slots = slotsOf(values);
  const k = kCrit(settings.n, String(settings.fpRate), String(settings.alpha));
  const progress = (done: number) => {
    if (done % 10 === 0) process.stderr.write(`skip curve: ${done} points computed exactly\n`);
  };
  const curve = skipCurve({
    stakes,
    n: settings.n,
    kCrit: k,
    honestRate: settings.fpRate,
    rule: { slots, quorum: quorumOf(values) },
    onProgress: progress,
  });
  const validators = exactWeights(stakes).weights.length;
  if (values.plot !== undefined) {
    const file = String(values.plot);
    if (!/\.(svg|png)$/i.test(file)) throw new UsageError(`--plot must name a .svg or .png file, got "${file}"`);
    try {
      await writeFigure(file, skipSvg(curve, validators));
    } catch (err) {
      throw new CommandError(`--plot ${file}: ${(err as Error).message}`, { cause: err });
    }
    process.stderr.write(`wrote ${file}\n`);
  }
  if (values.json) {
    printJson({ validators, ...curve });
    return;
  }
  process.stdout.write(
    `${validators} validators${slots > 0 ? `, ${slots} slots` : ""}; n ${settings.n}, k_crit ${k}, honest rate ${settings.fpRate}\n` +
      `skip s   rate      P[convicted | r(s)]  pays\n${curve.points
        .map(
          (pt) =>
            `${pt.s.toFixed(4).padStart(6)}  ${pt.rate.toFixed(5)}  ${formatProbability(pt.p_convicted).padStart(19)}  ${pt.p_convicted < pt.s ? "yes" : "no"}`,
        )
        .join(
          "\n",
        )}\ns* = ${curve.s_star} (the largest s of the ${SKIP_GRID_POINTS}-point grid where P[convicted] < s, found exactly; 0 when skipping never pays)\n`,
  );
}
