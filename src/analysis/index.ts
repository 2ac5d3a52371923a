// Calibration, collection, simulations, reports and plots: the report's analysis as a library.

export { createRng, type Rng } from "../core/index.js";
export {
  applyPolicy,
  type Calibration,
  CalibrationError,
  type CalibrationInput,
  type CalibrationJson,
  type CalibrationOptions,
  type Cluster,
  type ClusterSplit,
  calibrate,
  calibrationJson,
  PAIR_ALPHA,
  PAIR_CONFIDENCE,
  type PairSummary,
  POLICIES,
  type Policy,
  pairDistances,
  splitByGap,
} from "./calibrate.js";
export {
  boundedConviction,
  type Coalition,
  type ConvictionRule,
  coarseWeights,
  convictingSlots,
  convictionFromFlagging,
  exactConviction,
  exactWeights,
  flaggingStakeDistribution,
  HALF,
  MAX_DP_UNITS,
  type StakeWeights,
} from "./coalition.js";
export {
  CollectError,
  type CollectedServerFile,
  type CollectOptions,
  type CollectProgress,
  collect,
  type FailedCollectFile,
  serverFileName,
} from "./collect.js";
export {
  type CollectConfig,
  collectConfigSchema,
  configSeeds,
  type Dataset,
  DatasetError,
  type FailedServerFile,
  failedServerFile,
  isMultiSeed,
  loadDataset,
  nonceListWarnings,
  parseServerFile,
  type Seed,
  type ServerFile,
  type ServerVectors,
  seedKey,
  serverFileSchema,
} from "./dataset.js";
export { type EarlyCheckFigures, earlyCheck, monteCarloEarlyCheck } from "./early.js";
export { heatmapSvg, histogram, separationSvg, thresholdSvg } from "./figures.js";
export {
  type CalibrationFile,
  CalibrationFileError,
  type ClassRisk,
  calibrationFileSchema,
  calibrationServers,
  type HardwareNetworkOptions,
  type HardwareNetworkResult,
  hardwareNetwork,
  hardwareNetworkJson,
  hardwareSvg,
  loadCalibrationFile,
  pairRate,
} from "./hardware.js";
export { clopperPearsonUpper, wilsonInterval, Z95 } from "./interval.js";
export {
  discretiseStakes,
  type ExactNetwork,
  exactMixedNetwork,
  exactNetwork,
  gridUnitsFor,
  MAX_EXACT_UNITS,
  type MonteCarloNetwork,
  mixedVoteDistribution,
  monteCarloNetwork,
  type NetworkOptions,
  type NetworkResult,
  quorumCut,
  SHARE_BINS,
  type StakeDiscretisation,
  simulateNetwork,
  weightedVoteDistribution,
} from "./network.js";
export {
  loadPairRateTable,
  measurePairRates,
  PAIR_MACHINE_IDS,
  type PairRateEntry,
  type PairRateSetup,
  type PairRateTable,
  parsePairRateTable,
  tablePairRate,
} from "./pair-rates.js";
export {
  alphaFor,
  DEFAULT_FRONT_SKIPS,
  DEFAULT_PLAN_SAMPLE_SIZES,
  DEFAULT_PLAN_SLOTS,
  type Design,
  expectedCurtailedChecks,
  type Plan,
  type PlanOptions,
  planDesigns,
  planSvg,
} from "./plan.js";
export { type ConvictionOracle, createConvictionOracle, ORACLE_TIERS, type Variant } from "./plan-oracle.js";
export { FIGURES, otherPolicy, REPORT_THRESHOLD, renderReport, writeCalibration } from "./report.js";
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
export { networkSvg, singleSvg, writeFigure } from "./simulate-figures.js";
export {
  SKIP_GRID_DEN,
  SKIP_GRID_POINTS,
  type SkipCurve,
  type SkipCurveOptions,
  skipCurve,
  skipGrid,
  skipRate,
  skipStar,
  skipSvg,
} from "./skip.js";
export {
  cheaterSlotDistribution,
  cheaterSlotDistributionExact,
  expectedHolders,
  monteCarloSlots,
  type SlotNetworkResult,
  simulateSlotNetwork,
  slotConviction,
} from "./slots.js";
export { loadStakes, paretoStakes, parseStakes, StakesFileError } from "./stakes.js";
export { type Align, formatPercent, formatProbability, formatPValue, renderTable } from "./table.js";
