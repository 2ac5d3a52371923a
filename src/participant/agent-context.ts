// What every job of the participant agent shares: its config, key, log, chain clients, stores,
// and the stop signal. The jobs (registration, generation, commits, stage following) each take it.
import { calculateFee, GasPrice, QueryClient, SigningStargateClient, type StdFee } from "@cosmjs/stargate";
import { Comet38Client, HttpClient } from "@cosmjs/tendermint-rpc";
import { createPocvalRegistry, type PocvalExtension, setupPocvalExtension } from "../client/index.js";
import { backoffDelay, sleepUntilAborted } from "../net/retry.js";
import type { CheatStrategy } from "./cheat.js";
import type { ParticipantConfig } from "./config.js";
import type { ParticipantKey } from "./key.js";
import type { Logger } from "./log.js";
import type { StageStores } from "./stages.js";

export type ParticipantQuery = QueryClient & PocvalExtension;

export interface AgentContext {
  config: ParticipantConfig;
  key: ParticipantKey;
  strategy: CheatStrategy;
  pocPublicKey: string;
  log: Logger;
  query: ParticipantQuery;
  signer: SigningStargateClient;
  fee: StdFee | "auto";
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

/** The chain clients of a participant: queries and a signer with its fee. */
export function connectChain(
  config: ParticipantConfig,
  key: ParticipantKey,
): Pick<AgentContext, "query" | "signer" | "fee"> {
  const comet = Comet38Client.create(new HttpClient(config.node.rpcUrl, config.node.requestTimeoutMs));
  const query = QueryClient.withExtensions(comet, setupPocvalExtension);
  const gasPrice = GasPrice.fromString(config.node.gasPrice);
  const signer = SigningStargateClient.createWithSigner(comet, key.wallet, {
    registry: createPocvalRegistry(),
    gasPrice,
    broadcastPollIntervalMs: Math.max(25, Math.floor(config.node.pollIntervalMs / 2)),
    broadcastTimeoutMs: config.node.broadcastTimeoutMs,
  });
  const fee: StdFee | "auto" = config.node.gas === "auto" ? "auto" : calculateFee(config.node.gas, gasPrice);
  return { query, signer, fee };
}

/** A sleep that ends early, without throwing, when `signal` aborts. */
export function stoppableSleep(signal: AbortSignal): (ms: number) => Promise<void> {
  return (ms) => sleepUntilAborted(ms, signal);
}
