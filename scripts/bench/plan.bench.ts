// `npm run bench -- plan`: the planner v2 on the 377-validator preset (issue 23's constraint sets, (c) with early acceptance),
// timed against its 60 s target, each best design's cost against the report's 377 x 200 = 75,400.
import { fileURLToPath } from "node:url";
import { loadStakes, type PlanOptions, planDesigns } from "../../src/analysis/index.js";
import { fmt, timeMs } from "./util.js";

const STAKES = fileURLToPath(new URL("../../localnet/stakes/377-heavy-tailed.json", import.meta.url));
const TARGET_MS = 60_000;

const CASES: [string, Omit<PlanOptions, "stakes">][] = [
  ["(a) false 1e-9, s* <= 0.02", { honestRate: "0.02", maxFalseConviction: 1e-9, maxProfitableSkip: 0.02 }],
  [
    "(b) false 1e-9, s* <= 0.03, F 1/4 frame <= 1e-8",
    {
      honestRate: "0.02",
      maxFalseConviction: 1e-9,
      maxProfitableSkip: 0.03,
      byzantineStake: { num: 1n, den: 4n },
      maxFrame: 1e-8,
    },
  ],
  [
    "(c) = (a) with early acceptance",
    { honestRate: "0.02", maxFalseConviction: 1e-9, maxProfitableSkip: 0.02, earlyAcceptance: true },
  ],
];

export async function bench(): Promise<void> {
  const stakes = await loadStakes(STAKES);
  const report = stakes.length * 200;
  for (const [name, options] of CASES) {
    let plan: ReturnType<typeof planDesigns> | undefined;
    const ms = await timeMs(() => {
      plan = planDesigns({ stakes, ...options });
    });
    const best = plan!.best;
    console.log(
      `${name}: ${fmt(ms / 1000, 1)} s (target ${TARGET_MS / 1000} s: ${ms < TARGET_MS ? "met" : "MISSED"}), ${plan!.candidates} candidates, ${plan!.verified} decided`,
    );
    if (best) {
      console.log(
        `  best: ${best.slots} slots, n ${best.n}, k_crit ${best.k_crit} (alpha ${best.alpha}${best.acceptance_rate === null ? "" : `, acceptance_rate ${best.acceptance_rate}`}): P[false] ${best.p_false_conviction.toExponential(3)}, ` +
          `${best.p_frame === undefined ? "" : `P[frame] ${best.p_frame.toExponential(3)}, `}s* ${best.s_star}; ` +
          `${fmt(best.curtailed_recomputes_honest, 0)} recomputes curtailed (${fmt(report / best.curtailed_recomputes_honest, 1)}x fewer than ${report}), ${fmt(best.recomputes_per_participant, 0)} full sample`,
      );
    }
  }
}
