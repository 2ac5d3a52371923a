// The participant agent's view of the chain, one interface with two implementations: chain-cosmos.ts
// (the pocval module through cosmjs) and chain-evm.ts (a PocvalTally contract through ethers).
// Registration, commits, stage following and the proof server only ever see this interface.
import type { Params } from "../gen/pocval/v1/params.js";
import type { Commitment, Participant, StageInfo, StakeSnapshot } from "../gen/pocval/v1/types.js";

/** A transaction's fate: landed at a height, or refused with the chain's reason. */
export type TxResult = { ok: true; height: bigint; txHash: string } | { ok: false; code: string; detail: string };

/** What the participant agent reads from and sends to the chain. */
export interface ParticipantChain {
  /** "cosmos" or "evm": which binding of docs/protocol.md this is. */
  readonly kind: ChainKind;
  params(): Promise<Params>;
  /** The stage of the latest block, and that height. */
  currentStage(): Promise<{ stage: StageInfo; currentHeight: bigint }>;
  participants(): Promise<Participant[]>;
  commitments(stageHeight: bigint): Promise<Commitment[]>;
  stakeSnapshot(stageHeight: bigint): Promise<StakeSnapshot>;
  /** Registers (or updates) the account; resolves with the outcome, throws when it could not be sent. */
  register(pocPublicKey: string, proofApiUrl: string): Promise<TxResult>;
  /** Commits (count, root) for a stage; resolves with the outcome, throws when it could not be sent. */
  commit(stageHeight: bigint, count: bigint, rootHash: Uint8Array): Promise<TxResult>;
  close(): void;
}

export type ChainKind = "cosmos" | "evm";
