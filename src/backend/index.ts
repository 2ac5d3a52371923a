// The backend folder's public surface: the vLLM PoC API client, the CPU reference backend and its profiles.
export {
  type BackendClient,
  type BackendClientOptions,
  type CallOptions,
  createBackendClient,
  type GenerateRequest,
  type InitGenerateRequest,
  type PocParams,
  type ValidateRequest,
} from "./client.js";
export {
  BackendParamsMismatchError,
  BackendRequestError,
  BackendResponseError,
  BackendUnavailableError,
} from "./errors.js";
export {
  createFaultState,
  FAULT_SPEC_HELP,
  type FaultDecision,
  type FaultOptions,
  FaultSpecError,
  type FaultState,
  faultOptionsSchema,
  parseFaultSpecs,
  seededRandom,
} from "./faults.js";
export {
  getProfile,
  type Precision,
  type ProfileDescription,
  profileNames,
  profiles,
  type ReferenceVectorInput,
  referenceVector,
  UnknownProfileError,
  type VectorContext,
  vectorSource,
} from "./profiles.js";
export {
  DEFAULT_POC_PARAMS,
  type ReferenceBackend,
  type ReferenceBackendOptions,
  startReferenceBackend,
} from "./reference.js";
export {
  type Artifact,
  decodeArtifactsAnswer,
  decodeJobRecord,
  decodeValidationAnswer,
  type JobRecord,
  MAX_NONCES_PER_REQUEST,
  pocParamsSchema,
  type ValidationResult,
} from "./wire.js";
