// `pocval localnet run`: a scenario file brought up as a node, reference backends, participants and
// sidecars in child processes, followed stage by stage, and reported against its expectations.

export { AnvilError } from "../evm/index.js";
export {
  COMETBFT_VERSION,
  CometbftError,
  type CometNetwork,
  type CometValidator,
  cometbftBinary,
  crashCometValidator,
  initCometNetwork,
  startCometValidator,
} from "./cometbft.js";
export { type EvmNetwork, evmAddressOf, type LocalnetChainReader, startEvmNetwork, type VoteBatchGas } from "./evm.js";
export { anyWrongProbability, type WrongVerdictRisk, wrongVerdictRisks } from "./expectations.js";
export {
  type ParticipantIdentity,
  renderReport,
  type StageReport,
  stageReport,
  type TallyRow,
  type ValidatorIdentity,
  type ValidatorRow,
  validatorRows,
} from "./report.js";
export {
  effectiveParams,
  type LocalnetRun,
  type RunOptions,
  runLocalnet,
  scenarioRisk,
} from "./run.js";
export {
  loadScenario,
  parseScenario,
  type Scenario,
  ScenarioError,
  type ScenarioParticipant,
  scenarioSchema,
  scenarioTiming,
} from "./scenario.js";
export { ChildFailedError, createSupervisor, type SupervisedChild, type Supervisor } from "./supervisor.js";
export {
  CHAINS,
  type ChainKind,
  ENGINES,
  type Endpoints,
  type Engine,
  type EngineControl,
  LocalnetError,
  type LocalnetResult,
  type StagePhase,
} from "./types.js";
