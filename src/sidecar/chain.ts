// The sidecar's view of the chain, one interface with two implementations: chain-cosmos.ts (the
// pocval module through cosmjs) and chain-evm.ts (a PocvalTally contract through ethers). The
// daemon, the stage checks and the vote journal (votes.ts) only ever see this interface.
import type { Params, StageTiming } from "../gen/pocval/v1/params.js";
import type { Commitment, Participant, StageInfo, StakeSnapshot, Vote, VoteRecord } from "../gen/pocval/v1/types.js";
import type { Logger } from "./log.js";

/** What the sidecar reads from and sends to the chain. */
export interface SidecarChain {
  /** "cosmos" or "evm": which binding of docs/protocol.md this is. */
  readonly kind: ChainKind;
  latestHeight(): Promise<bigint>;
  params(): Promise<{ params: Params; timing: StageTiming }>;
  /** A stage's windows, with its generation seed and sampling block hash ("" until those blocks exist). */
  stage(stageHeight: bigint): Promise<StageInfo>;
  participants(): Promise<Participant[]>;
  commitments(stageHeight: bigint): Promise<Commitment[]>;
  /** The votes this validator cast in a stage, as the chain records them. */
  myVotes(stageHeight: bigint): Promise<VoteRecord[]>;
  /** The stage's stake snapshot (version 2: the slot holders are drawn from it). */
  stakeSnapshot(stageHeight: bigint): Promise<StakeSnapshot>;
  /** A sender of vote batches with the given settings (it keeps its own gas and nonce state). */
  voteSender(opts: { votes: VoteSettings; log: Logger; signal: AbortSignal }): VoteSender;
  /** Follows new heights; onHeight receives each new highest height once, in increasing order. */
  followBlocks(opts: { log: Logger; onHeight: (height: bigint) => void }): BlockFollower;
  close(): void;
}

export type ChainKind = "cosmos" | "evm";

/** The vote settings of the sidecar's config that a sender uses (gas settings are Cosmos only). */
export interface VoteSettings {
  gasPrice: string;
  baseGas: number;
  gasPerVote: number;
  gasRetryFactor: number;
  /** Simulate each batch for its gas limit (times gasAdjustment); baseGas + gasPerVote otherwise. */
  simulate: boolean;
  gasAdjustment: number;
  inclusionTimeoutMs: number;
}

/**
 * What became of one vote batch. `result` labels the transactions metric (`landed`,
 * `rejected_<code>`, `mempool_full`, `timeout`, `failed_<code>`, `reverted`); `resequence` asks for
 * an immediate re-sign (the next signing reads the account's sequence afresh).
 */
export type VoteTxOutcome =
  | { status: "landed"; result: "landed"; txHash: string; height: bigint; gasUsed?: bigint }
  | { status: "not_landed"; result: string; detail: string; resequence?: boolean };

export interface VoteSender {
  /**
   * Signs one batch, hands its transaction hash to onSigned (the journal keeps it) before it is
   * broadcast, and follows it until it lands, fails, or the inclusion timeout passes.
   */
  send(
    stageHeight: bigint,
    votes: readonly Vote[],
    onSigned: (txHash: string, fields: Record<string, unknown>) => void,
  ): Promise<VoteTxOutcome>;
  /** Looks for a transaction sent earlier for up to timeoutMs: landed, failed, or null when not found. */
  find(
    txHash: string,
    timeoutMs: number,
  ): Promise<{ landed: true; height: bigint } | { landed: false; detail: string } | null>;
}

export interface BlockFollower {
  /** The highest height seen so far (0 before the first). */
  height(): bigint;
  /** Whether a push subscription (websocket) currently delivers blocks. */
  live(): boolean;
  /** Milliseconds since the last new height. */
  sinceLastBlockMs(): number;
  stop(): void;
}
