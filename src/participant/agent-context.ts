// What every job of the participant agent shares: its config, key, log, chain clients, stores,
// and the stop signal. The jobs (registration, generation, commits, stage following) each take it.
import { backoffDelay, sleepUntilAborted } from "../net/index.js";
import type { ParticipantChain } from "./chain.js";
import { connectCosmosParticipantChain } from "./chain-cosmos.js";
import { connectEvmParticipantChain } from "./chain-evm.js";
import type { CheatStrategy } from "./cheat.js";
import type { ParticipantConfig } from "./config.js";
import type { ParticipantKey } from "./key.js";
import type { EventLog } from "./log.js";
import type { StageStores } from "./stages.js";

export interface AgentContext {
  config: ParticipantConfig;
  key: ParticipantKey;
  strategy: CheatStrategy;
  pocPublicKey: string;
  log: EventLog;
  /** The chain the agent registers and commits on (Cosmos or EVM). */
  chain: ParticipantChain;
  stores: StageStores;
  signal: AbortSignal;
  stopped(): boolean;
  /** Sleeps ms, or less when the agent stops (never throws). */
  sleep(ms: number): Promise<void>;
}

const BACKOFF_BASE_MS = 250;
const BACKOFF_MAX_MS = 10_000;

/** The agent's wait after `failures` failures in a row (from 0): 250 ms doubling, capped at 10 s, jittered. */
export function backoff(failures: number): number {
  return backoffDelay(failures + 1, { baseDelayMs: BACKOFF_BASE_MS, maxDelayMs: BACKOFF_MAX_MS });
}

export function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** The chain the config names: the pocval module of a Cosmos chain, or a PocvalTally contract on an EVM chain. */
export function connectChain(config: ParticipantConfig, key: ParticipantKey, log: EventLog): ParticipantChain {
  return config.chain.kind === "evm"
    ? connectEvmParticipantChain({
        rpcUrl: config.chain.rpcUrl,
        contract: config.chain.contract!,
        key,
        onWaiting: (err, attempt) =>
          log("chain_waiting", { level: "warn", url: config.chain.rpcUrl, attempt, error: err.message }),
      })
    : connectCosmosParticipantChain(config, key);
}

/** A sleep that ends early, without throwing, when `signal` aborts. */
export function stoppableSleep(signal: AbortSignal): (ms: number) => Promise<void> {
  return (ms) => sleepUntilAborted(ms, signal);
}
