// Calibration, collection, simulations, reports and plots: the report's analysis as a library.
export { wilsonInterval, Z95 } from "./interval.js";
export {
  discretiseStakes,
  type ExactNetwork,
  exactNetwork,
  MAX_EXACT_UNITS,
  type MonteCarloNetwork,
  monteCarloNetwork,
  type NetworkOptions,
  type NetworkResult,
  quorumCut,
  type StakeDiscretisation,
  simulateNetwork,
  weightedVoteDistribution,
} from "./network.js";
export { createRng, type Rng } from "./rng.js";
export {
  DEFAULT_ALPHA,
  DEFAULT_CHECKS,
  DEFAULT_FP_RATE,
  DEFAULT_SEED,
  type RateOptions,
  type RateResult,
  type RateRow,
  SimulationInputError,
  type SingleOptions,
  type SingleResult,
  type SingleRow,
  simulateRate,
  simulateSingle,
} from "./simulate.js";
export { loadStakes, parseStakes, StakesFileError } from "./stakes.js";
export { type Align, formatPercent, formatProbability, renderTable } from "./table.js";
