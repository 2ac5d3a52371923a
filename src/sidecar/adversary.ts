// Validator adversaries for localnet drills (docs/protocol.md "Threat model"): a sidecar that
// votes without checking (lazy), frames an honest participant, or shields a cheater. Only an
// explicit option turns one on (`pocval sidecar start --adversary`, or a localnet scenario); no
// config-file field does, so a production config cannot enable it by accident.
import { criticalCountFor, PocvalError, sampleIndices } from "../core/index.js";
import type { Vote } from "../gen/pocval/v1/types.js";
import { decideFromDistances } from "./check.js";
import type { CheckTarget, StageFacts } from "./checker.js";

/**
 * How an adversarial validator votes. lazy: HONEST on every participant it must check, without
 * fetching or recomputing anything. Otherwise a coalition member: CHEATER (STAT_TEST, counts
 * fabricated to pass the chain's consistency rule) on each participant of `frame`, HONEST on
 * each of `shield` whatever it would find, an honest check of everyone else.
 */
export type Adversary = { kind: "lazy" } | { kind: "coalition"; frame: string[]; shield: string[] };

export const ADVERSARY_USAGE = "lazy, or a comma-separated list of frame:ADDRESS and shield:ADDRESS";

/** An --adversary value that names no strategy. */
export class InvalidAdversaryError extends PocvalError {
  override name = "InvalidAdversaryError";
}

/**
 * Parses an --adversary value.
 * @example parseAdversary("frame:pocval1abc,shield:pocval1def") // { kind: "coalition", frame: ["pocval1abc"], shield: ["pocval1def"] }
 */
export function parseAdversary(value: string): Adversary {
  if (value === "lazy") return { kind: "lazy" };
  const frame: string[] = [];
  const shield: string[] = [];
  for (const part of value.split(",")) {
    const m = /^(frame|shield):(.+)$/.exec(part.trim());
    if (!m) throw new InvalidAdversaryError(`--adversary "${value}": "${part}" is not ${ADVERSARY_USAGE}`);
    (m[1] === "frame" ? frame : shield).push(m[2]!);
  }
  return { kind: "coalition", frame, shield };
}

/** The text form of an adversary, as parseAdversary reads it. */
export function formatAdversary(a: Adversary): string {
  if (a.kind === "lazy") return "lazy";
  return [...a.frame.map((p) => `frame:${p}`), ...a.shield.map((p) => `shield:${p}`)].join(",");
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
  const framed = adversary.kind === "coalition" && adversary.frame.includes(target.address);
  const shielded = adversary.kind === "coalition" && adversary.shield.includes(target.address);
  if (adversary.kind !== "lazy" && !framed && !shielded) return undefined;
  const indices = sampleIndices({
    stageHeight: stage.stageHeight,
    samplingBlockHash: stage.samplingBlockHash,
    validatorAddress,
    participantAddress: target.address,
    count: target.count,
    sampleSize: stage.params.sampleSize,
  });
  const mismatches = framed ? criticalCountFor(indices.length, stage.params) : 0;
  // A distance "found" for each leaf: above the threshold for the claimed mismatches, 0 for the rest.
  const far = stage.params.distThreshold * 2;
  const dists = indices.map((_, i) => (i < mismatches ? far : 0));
  return decideFromDistances(target.address, indices, dists, stage.params);
}
