import { fileURLToPath } from "node:url";
import { exactNetwork, loadStakes, planDesigns } from "../../src/analysis/index.js";
import { fmt, timeMs } from "./util.js";

const STAKES = fileURLToPath(new URL("../../localnet/stakes/377-heavy-tailed.json", import.meta.url));
const TARGET_MS = 30_000;

/**
 * `npm run bench -- plan`: time to plan for the 377-validator preset at the report's rates (honest 0.02,
 * cheater 0.04), against the baseline of one exact network evaluation (v1's single design) in the same run.
 */
export async function bench(): Promise<void> {
  const stakes = await loadStakes(STAKES);
  const baseline = await timeMs(() => exactNetwork(stakes, 0.5, 0.5));
  let plan: ReturnType<typeof planDesigns> | undefined;
  const ms = await timeMs(() => {
    plan = planDesigns({ stakes, honestRate: "0.02", cheaterRate: 0.04, maxFalseConviction: 1e-6, minDetection: 0.99 });
  });
  const best = plan!.best;
  console.log(
    `plan, ${stakes.length} validators: ${fmt(ms / 1000)} s for ${plan!.evaluated} designs (${plan!.designs.length} on the front); ` +
      `${fmt(ms / baseline, 1)}x one exact network (${fmt(baseline)} ms); target ${TARGET_MS / 1000} s: ${ms < TARGET_MS ? "met" : "MISSED"}`,
  );
  if (best) {
    console.log(
      `best: ${best.slots} slots, n ${best.n}, alpha ${best.alpha}, k_crit ${best.k_crit}: P[false] ${best.p_false_conviction.toExponential(3)}, ` +
        `P[detect] ${best.p_detection.toFixed(6)}, ${fmt(best.recomputes_per_participant, 0)} recomputes per participant ` +
        `(${fmt((stakes.length * 200) / best.recomputes_per_participant, 2)}x fewer than ${stakes.length} x 200); curtailed: honest ${fmt(best.curtailed_recomputes_honest, 0)}, cheater ${fmt(best.curtailed_recomputes_cheater, 0)}`,
    );
  }
}
