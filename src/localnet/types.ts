// The shapes a localnet run shares between its steps and with its callers: the engines and chain
// bindings it runs, the controls it offers tests, the result it reports, and its error class.
import { PocvalError } from "../core/index.js";
import type { VoteBatchGas } from "./evm.js";
import type { WrongVerdictRisk } from "./expectations.js";
import type { StageReport, ValidatorRow } from "./report.js";

/** The run could not do what the scenario asks (a timeout, a chain that does not answer). */
export class LocalnetError extends PocvalError {
  override name = "LocalnetError";
}

/** "embedded": the single-process pocval node; "cometbft": one CometBFT node and app per validator. */
export type Engine = "embedded" | "cometbft";
export const ENGINES: readonly Engine[] = ["embedded", "cometbft"];

/** "cosmos": the pocval module on the engine's chain; "evm": the PocvalTally contract on anvil. */
export type ChainKind = "cosmos" | "evm";
export const CHAINS: readonly ChainKind[] = ["cosmos", "evm"];

/** What a run offers its caller (tests) to act on the network while it runs or after it. */
export interface EngineControl {
  engine: Engine | "anvil";
  /** The RPC URL of each node: one for the embedded engine, one per validator (scenario order) for CometBFT. */
  rpcUrls: string[];
  /** kill -9 of the named validator's node and app (CometBFT only). */
  crash(validator: string): Promise<void>;
  /** Starts a crashed validator's app and node again on their homes (CometBFT only). */
  restart(validator: string): Promise<void>;
}

export type StagePhase = "commit" | "sampling" | "validation";

export interface Endpoints {
  /** The node the runner reads through (the first validator's under CometBFT). */
  node_rpc: string;
  /** Every node's RPC (under CometBFT, validator i's sidecar uses node i). */
  node_rpcs: string[];
  backends: Record<string, string>;
  keys_dir: string;
  logs_dir: string;
}

export interface LocalnetResult {
  stages: StageReport[];
  validators: ValidatorRow[];
  expectations_met: boolean;
  wrong_verdict_probability: number;
  risks: WrongVerdictRisk[];
  run_dir: string;
  /** The consensus engine the run used ("anvil" on the EVM chain). */
  engine: Engine | "anvil";
  /** The binding: the pocval module on a Cosmos chain, or the PocvalTally contract on anvil. */
  chain: ChainKind;
  /** On the EVM chain: the contract and its governance address. */
  contract?: { address: string; governance: string };
  /** On the EVM chain: every vote transaction of the run with the gas it used. */
  vote_gas?: VoteBatchGas[];
  endpoints: Endpoints;
}
