// Validator adversaries for localnet drills (docs/protocol.md "Threat model"): a sidecar that
// votes without checking (lazy), frames an honest participant, or shields a cheater. Only an
// explicit option turns one on (`pocval sidecar start --adversary`, or a localnet scenario); no
// config-file field does, so a production config cannot enable it by accident.
import { criticalCountFor, PocvalError, sampleIndices } from "../core/index.js";
import type { Vote } from "../gen/pocval/v1/types.js";
import { decideFromDistances } from "./check.js";
import type { CheckTarget, StageFacts } from "./checker.js";

/** How an adversarial validator votes. Elsewhere than its target it checks honestly. */
export type Adversary =
  /** HONEST on every participant it must check, without fetching or recomputing anything. */
  | { kind: "lazy" }
  /** CHEATER (STAT_TEST) on `participant`, with counts fabricated to pass the chain's consistency rule. */
  | { kind: "frame"; participant: string }
  /** HONEST on `participant` whatever it would find. */
  | { kind: "shield"; participant: string };

export const ADVERSARY_USAGE = "lazy, frame:ADDRESS or shield:ADDRESS";

/** An --adversary value that names no strategy. */
export class InvalidAdversaryError extends PocvalError {
  override name = "InvalidAdversaryError";
}

/**
 * Parses an --adversary value.
 * @example parseAdversary("frame:pocval1abc") // { kind: "frame", participant: "pocval1abc" }
 */
export function parseAdversary(value: string): Adversary {
  const colon = value.indexOf(":");
  const name = colon < 0 ? value : value.slice(0, colon);
  const target = colon < 0 ? undefined : value.slice(colon + 1);
  if (name === "lazy" && target === undefined) return { kind: "lazy" };
  if ((name === "frame" || name === "shield") && target) return { kind: name, participant: target };
  throw new InvalidAdversaryError(`--adversary "${value}": expected ${ADVERSARY_USAGE}`);
}

/** The text form of an adversary, as parseAdversary reads it. */
export function formatAdversary(a: Adversary): string {
  return a.kind === "lazy" ? "lazy" : `${a.kind}:${a.participant}`;
}

/**
 * The vote an adversary casts on a target instead of checking it, or undefined where it checks
 * honestly. Counts are fabricated over the real sample (so `checked` is the sample size): lazy
 * and shield claim 0 mismatches, frame claims exactly k_crit(n), each with the p-value and
 * evidence hash those counts give, so that the chain's consistency rule accepts the vote.
 * @example adversaryVote({ kind: "lazy" }, stage, target, "pocval1v...") // HONEST, checked 200, mismatches 0
 */
export function adversaryVote(
  adversary: Adversary,
  stage: StageFacts,
  target: CheckTarget,
  validatorAddress: string,
): Vote | undefined {
  if (adversary.kind !== "lazy" && adversary.participant !== target.address) return undefined;
  const indices = sampleIndices({
    stageHeight: stage.stageHeight,
    samplingBlockHash: stage.samplingBlockHash,
    validatorAddress,
    participantAddress: target.address,
    count: target.count,
    sampleSize: stage.params.sampleSize,
  });
  const mismatches = adversary.kind === "frame" ? criticalCountFor(indices.length, stage.params) : 0;
  // A distance "found" for each leaf: above the threshold for the claimed mismatches, 0 for the rest.
  const far = stage.params.distThreshold * 2;
  const dists = indices.map((_, i) => (i < mismatches ? far : 0));
  return decideFromDistances(target.address, indices, dists, stage.params);
}
