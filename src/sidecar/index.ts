// The validator sidecar: public surface.

export {
  ADVERSARY_USAGE,
  type Adversary,
  adversaryVote,
  formatAdversary,
  InvalidAdversaryError,
  parseAdversary,
} from "./adversary.js";
export type { ChainKind, SidecarChain } from "./chain.js";
export { websocketUrl } from "./chain-cosmos.js";
export {
  ChainParamsError,
  type CheckParams,
  curtailedVote,
  decideFromDistances,
  distances,
  faultVote,
  formatPValue,
  type LeafVerdict,
  parseCheckParams,
  type VerifiedLeaf,
  verifyLeaves,
} from "./check.js";
export {
  type CheckerContext,
  type CheckOutcome,
  type CheckTarget,
  checkParticipant,
  type StageFacts,
} from "./checker.js";
export {
  applyEnvOverrides,
  ENV_OVERRIDES,
  loadSidecarConfig,
  parseSidecarConfig,
  redactConfig,
  type SidecarConfig,
  SidecarConfigError,
  type SidecarConfigInput,
  sidecarConfigSchema,
} from "./config.js";
export { type DoctorLine, type DoctorOptions, formatDoctorLine, runDoctor } from "./doctor.js";
export { backendFailingSeconds, type HealthMetricSources, registerHealthMetrics } from "./health-metrics.js";
export {
  type ConfigField,
  configFieldsTable,
  type InitConfigOptions,
  initSidecarConfig,
  SIDECAR_CONFIG_FIELDS,
} from "./init-config.js";
export { type DecisionRow, type DecisionStatus, type Journal, openJournal } from "./journal.js";
export { journalHolder, journalLockPath, lockJournal } from "./journal-lock.js";
export { keyFromMnemonic, loadValidatorKey, SidecarKeyError, type ValidatorKey } from "./keys.js";
export { createLogger, type Logger, type LogLevel } from "./log.js";
export {
  createMetrics,
  type MetricsServer,
  MetricsServerError,
  type SidecarMetrics,
  startMetricsServer,
} from "./metrics.js";
export { fetchProofBatch, fetchProofs, ProofApiError, type ProofFailureKind, proofsEndpoint } from "./proof-client.js";
export { type ProveFailure, type ProveResult, type ProveTask, proveSample } from "./prove.js";
export { createProvePool, type ProvePool, ProveWorkerError } from "./prove-pool.js";
export {
  createRecomputeQueue,
  type RecomputeBackend,
  RecomputeFailedError,
  type RecomputeJob,
  type RecomputeQueue,
} from "./recompute.js";
export { type ServiceUnitOptions, serviceUnit } from "./service-unit.js";
export { type RunningSidecar, type StartSidecarOptions, startSidecar, WrongChainError } from "./sidecar.js";
