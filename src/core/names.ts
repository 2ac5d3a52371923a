// The display names of the chain's verdicts and reasons: the proto enum names without their
// prefix (CHEATER, STAT_TEST), the one spelling every report, page, query table and log uses.
// Metric labels are the same names in lower case (Prometheus label values, README "Metrics").
import { type Reason, reasonToJSON, type Verdict, verdictToJSON } from "../gen/pocval/v1/types.js";

/** A verdict's name; UNRECOGNIZED for a number the proto does not define. */
export type VerdictName = "UNSPECIFIED" | "HONEST" | "CHEATER" | "UNRECOGNIZED";

/** @example verdictName(Verdict.VERDICT_CHEATER) // "CHEATER" */
export function verdictName(v: Verdict): VerdictName {
  return verdictToJSON(v).replace(/^VERDICT_/, "") as VerdictName;
}

/** @example reasonName(Reason.REASON_STAT_TEST) // "STAT_TEST" */
export function reasonName(r: Reason): string {
  return reasonToJSON(r).replace(/^REASON_/, "");
}

/** The reasons a vote can carry, by name: every Reason but UNSPECIFIED (scenario files name them). */
export const REASON_NAMES = ["STAT_TEST", "INVALID_PROOF", "BAD_NONCE", "BAD_VECTOR", "UNAVAILABLE"] as const;

/** A vote's metric labels: {verdict: "cheater", reason: "stat_test"}. */
export function voteLabels(vote: { verdict: Verdict; reason: Reason }): { verdict: string; reason: string } {
  return { verdict: verdictName(vote.verdict).toLowerCase(), reason: reasonName(vote.reason).toLowerCase() };
}
