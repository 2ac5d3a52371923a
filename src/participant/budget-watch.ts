// Compares the proof API's per-validator burst (proofApi.rateLimit.capacity) with the chain's live
// proof_request_budget (docs/protocol.md "Availability"): the config schema only knows the default
// budget, and governance may raise it. Read at start and at every stage's params; a shortfall is an
// error line naming both numbers, logged when it appears or changes, and shown in progress().

import { availabilityParams } from "../core/index.js";
import type { Params } from "../gen/pocval/v1/params.js";
import type { EventLog } from "./log.js";
import { budgetShortfall } from "./rate-limit.js";

/** How the limiter's burst compares with the live budget, as last read. */
export interface BudgetStatus {
  capacity: number;
  proofRequestBudget: number;
  /** Why the capacity cannot serve the budget; undefined when it can. */
  shortfall?: string;
}

export interface BudgetWatch {
  /** Checks the chain's params just read; logs when the verdict changes. */
  observe(params: Pick<Params, "proofRequestBudget" | "proofResponseMs">): void;
  /** The last comparison, undefined before the first params were read. */
  status(): BudgetStatus | undefined;
}

/**
 * @example const watch = createBudgetWatch(20, log); watch.observe(await chain.params());
 */
export function createBudgetWatch(capacity: number, log: EventLog): BudgetWatch {
  let last: BudgetStatus | undefined;
  return {
    observe(params) {
      let budget: number;
      try {
        budget = availabilityParams(params).budget;
      } catch (err) {
        log("chain_params_invalid", { level: "warn", error: (err as Error).message });
        return;
      }
      const shortfall = budgetShortfall(capacity, budget);
      const next: BudgetStatus = { capacity, proofRequestBudget: budget, ...(shortfall && { shortfall }) };
      const changed = last === undefined || last.proofRequestBudget !== budget;
      if (changed && shortfall) {
        log("rate_limit_below_budget", {
          level: "error",
          capacity,
          proof_request_budget: budget,
          error: `proofApi.rateLimit.capacity ${shortfall}`,
        });
      } else if (changed && last?.shortfall) {
        log("rate_limit_serves_budget", { capacity, proof_request_budget: budget });
      }
      last = next;
    },
    status: () => last,
  };
}
