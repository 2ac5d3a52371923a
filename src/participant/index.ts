// The participant folder's public surface: the agent, its store, proof server and strategies.

export { PidLockedError } from "../fs/index.js";
export {
  type ParticipantOptions,
  type ParticipantProgress,
  type RunningParticipant,
  startParticipant,
} from "./agent.js";
export { type CommitCadence, type CommitDecision, type CommitState, commitDecision } from "./cadence.js";
export type { ChainKind, ParticipantChain, TxResult } from "./chain.js";
export {
  CHEAT_USAGE,
  type CheatStrategy,
  cheatDraw,
  corruptServedLeaf,
  formatCheat,
  InvalidCheatError,
  parseCheat,
  planBatch,
  randomUnitVector,
  serveCheatOf,
} from "./cheat.js";
export { BackendAnswerError, type StageInputs, strategyCompute, type VectorBackend } from "./compute.js";
export {
  loadParticipantConfig,
  type ParticipantConfig,
  ParticipantConfigError,
  type ParticipantConfigInput,
  parseParticipantConfig,
  participantConfigSchema,
} from "./config.js";
export {
  appendBatch,
  appendPrepared,
  type BatchResult,
  ComputeResultError,
  type ComputeVectors,
  type PreparedBatch,
  prepareBatch,
} from "./generate.js";
export { type KeySource, loadParticipantKey, type ParticipantKey, ParticipantKeyError } from "./key.js";
export { type EventLog, jsonLineEventLog, silentEventLog } from "./log.js";
export {
  type BondedValidators,
  PROOFS_PATH,
  type ProofServer,
  type ProofServerOptions,
  type ServeCheat,
  STATE_PATH,
  startProofServer,
} from "./proof-server.js";
export { createRateLimiter, type RateLimiter, type RateLimitOptions } from "./rate-limit.js";
export { createStageStores, type StageStores, stageDir } from "./stages.js";
export { type ArtifactStore, openArtifactStore, type Snapshot, type StoredLeaf, StoreError } from "./store.js";
