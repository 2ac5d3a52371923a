// The pure protocol library of docs/protocol.md: no I/O, no clock, no globals.

export { acceptanceLimit, acceptanceTable, acceptsEarly } from "./acceptance.js";
export { checkDeadlineMs, retryWaitMs } from "./availability.js";
export {
  type CountVerdict,
  countMismatches,
  criticalCountFor,
  curtailedVerdict,
  DEFAULT_CHUNK_SIZE,
  type DecisionParams,
  type StatTestCounts,
  statTestContradiction,
  verdictFromCounts,
} from "./check.js";
export { bytesEqual, concatBytes, fromBase64, fromHex, toBase64, toHex, u64le } from "./encoding.js";
export { DecodeError, type ErrorContext, PocvalError, type PocvalErrorOptions } from "./errors.js";
export { evidenceHash } from "./evidence.js";
export { EVM_ADDRESS_PATTERN, isEvmAddress, lowerEvmAddress } from "./evm-address.js";
export { sha256Gaussians } from "./gaussians.js";
export { sha256 } from "./hash.js";
export {
  binomialTailExact,
  DecimalFractionError,
  decimalFraction,
  kCrit,
  kCritTable,
  type Rational,
} from "./kcrit.js";
export { type LeafFault, type ServedLeavesCheck, verifyServedLeaves } from "./leaves.js";
export {
  auditPath,
  auditPaths,
  buildLevels,
  type CompletedNode,
  consistencyProof,
  createAppender,
  HASH_SIZE,
  leafHash,
  levelNodes,
  type MerkleAppender,
  merkleRoot,
  nodeHash,
  type PerfectNodes,
  subtreeRoot,
  verifyConsistency,
  verifyInclusion,
} from "./merkle.js";
export { REASON_NAMES, reasonName, type VerdictName, verdictName, voteLabels } from "./names.js";
export {
  acceptanceRateParam,
  availabilityParams,
  DEFAULT_PARAMS,
  DEFAULT_PROOF_REQUEST_BUDGET,
  DEFAULT_PROOF_RESPONSE_MS,
  defaultParams,
  defaultTiming,
  MAX_PROOF_REQUEST_BUDGET,
  MAX_VALIDATION_SLOTS,
  type NumericParams,
  ParamError,
  PROOF_RESPONSE_MS_RANGE,
  parseDecimal,
  parseParams,
} from "./params.js";
export {
  type AnswerCheck,
  type AuditResult,
  auditEvidence,
  canonicalJson,
  type FaultEvidence,
  faultEvidenceSchema,
  proofAnswerSignBytes,
  proofAnswerSigners,
  type SignedProofAnswer,
  signedProofAnswerSchema,
  signProofAnswer,
  type UnsignedProofAnswer,
  verifyProofAnswer,
} from "./proof-answer.js";
export {
  addressFromPubKey,
  addressPrefixOf,
  EVM_ADDRESS_PREFIX,
  type LeafProof,
  leafProofSchema,
  MAX_LEAF_INDICES,
  type ProofRequest,
  type ProofRequestCheck,
  type ProofResponse,
  proofRequestSchema,
  proofRequestSignBytes,
  proofResponseSchema,
  type StateResponse,
  signProofRequest,
  stateResponseSchema,
  TIMESTAMP_TOLERANCE_NS,
  type UnsignedProofRequest,
  verifyProofRequest,
} from "./proof-api.js";
export { createRng, type Rng } from "./rng.js";
export { type SampleInput, sampleIndices, sampleSeed, u64Stream, uniformFrom } from "./sampling.js";
export {
  NoSlotHoldersError,
  type SlotHolder,
  type SlotInput,
  slotAssignment,
  slotHolders,
  slotSeed,
} from "./slots.js";
export {
  currentStage,
  firstStageStart,
  inCommitWindow,
  inValidationWindow,
  isStageStart,
  nextStageStart,
  openStageHeights,
  type StageWindows,
  stageEndingAt,
  stageStartAtOrBefore,
  stageWindows,
  type TimingViolation,
  timingViolations,
} from "./stage.js";
export {
  binomialLogPmf,
  binomialPValue,
  criticalCount,
  type DetectionPower,
  detectionPower,
  percentile,
} from "./stats.js";
export {
  type CastVote,
  createStageTallier,
  DEFAULT_QUORUM,
  type DecisionInput,
  type Quorum,
  type StageTallier,
  stakeShare,
  type TallyDecision,
  type TallyInput,
  type TallyResult,
  tallyDecision,
  tallyParticipant,
  type ValidatorStake,
} from "./tally.js";
export {
  auditUnavailable,
  type FailedTry,
  failedTrySchema,
  PROOF_FAILURE_KINDS,
  type ProofFailureKind,
  type UnavailableAudit,
  type UnavailableEvidence,
  unavailableEvidence,
  unavailableEvidenceSchema,
} from "./unavailable.js";
export {
  decodeVector,
  encodeVector,
  fromHalfBits,
  l2Distance,
  toHalfBits,
  vectorFromBase64,
  vectorToBase64,
} from "./vector.js";
export { fieldName, zodField, zodFieldLines, zodIssueLines } from "./zod.js";
