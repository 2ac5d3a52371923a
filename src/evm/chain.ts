// The chain as a sidecar or participant sees it, on an EVM node with a PocvalTally contract: the
// same reads as the Cosmos queries (in the proto types), vote batches with their own nonces and
// gas estimated against the pending block, and block following by eth_subscribe or polling.
// This file wires them: connection.ts (provider, signer, contract), reads.ts, vote-sender.ts, follower.ts.

import { toUtf8Bytes } from "ethers";
import type { StageTiming } from "../gen/pocval/v1/params.js";
import type { Commitment, Participant, StageInfo, StakeSnapshot, Vote, VoteRecord } from "../gen/pocval/v1/types.js";
import { type EvmChainOptions, openEvmConnection, transact } from "./connection.js";
import type { EvmParams } from "./contract.js";
import * as reads from "./reads.js";
import { type EvmTxOutcome, receipt, sendVotes, submitVotes } from "./vote-sender.js";

export { followEvmBlocks } from "./follower.js";
export type { EvmTxOutcome } from "./vote-sender.js";

export interface EvmChain {
  readonly address: string;
  latestHeight(): Promise<bigint>;
  params(): Promise<{ params: EvmParams; timing: StageTiming; kCrit: number[] }>;
  stage(stageHeight: bigint): Promise<StageInfo>;
  participants(): Promise<Participant[]>;
  commitments(stageHeight: bigint): Promise<Commitment[]>;
  /** Votes this account cast in a stage, from the Voted and VoteEvidence logs. */
  myVotes(stageHeight: bigint): Promise<VoteRecord[]>;
  /** How many slots of a participant this account holds (version 2; 0 when slots are off). */
  slotsOf(stageHeight: bigint, participant: string): Promise<number>;
  /** The validator set version a stage uses (the one in effect at its block S): checksummed addresses. */
  stakeSnapshot(stageHeight: bigint): Promise<StakeSnapshot>;
  /**
   * Signs one vote batch (gas estimated at the pending block plus a margin, the nonce from a
   * NonceManager), hands its hash to onSigned before it leaves, and waits for its receipt.
   * A revert at estimation throws ContractRevertError (nothing was sent).
   */
  sendVotes(
    stageHeight: bigint,
    votes: readonly Vote[],
    opts: { onSigned(txHash: string, fields: { nonce: number; gas: bigint }): void; inclusionTimeoutMs: number },
  ): Promise<EvmTxOutcome>;
  /** A sent transaction's outcome, or null while the node knows no receipt for it. */
  receipt(txHash: string): Promise<EvmTxOutcome | null>;
  /** The stage the latest block is in (the Cosmos `stage` query without a height) and that height. */
  currentStage(): Promise<{ stage: StageInfo; currentHeight: bigint }>;
  /** Registers (or updates) this account as a participant; throws ContractRevertError when refused. */
  register(pocPublicKey: string, proofApiUrl: string): Promise<{ txHash: string; height: bigint }>;
  /** Commits (count, root) for a stage; throws ContractRevertError when refused. */
  commit(stageHeight: bigint, count: bigint, rootHash: Uint8Array): Promise<{ txHash: string; height: bigint }>;
  /** Sends one vote batch: gas estimated at the pending block plus a margin, nonces kept locally. */
  submitVotes(
    stageHeight: bigint,
    votes: readonly Vote[],
  ): Promise<{ txHash: string; gasUsed: bigint; height: bigint }>;
  close(): void;
}

/**
 * Connects a wallet (the account's key on the Ethereum HD path) to the PocvalTally at address.
 * @example const chain = await connectEvmChain({rpcUrl, contract, wallet});
 */
export function connectEvmChain(opts: EvmChainOptions): EvmChain {
  const c = openEvmConnection(opts);
  const { me } = c;
  return {
    address: c.address,
    latestHeight: () => reads.latestHeight(c),
    params: () => reads.params(c),
    stage: (stageHeight) => reads.stageInfo(c, stageHeight),
    participants: () => reads.participants(c),
    commitments: (stageHeight) => reads.commitments(c, stageHeight),
    myVotes: (stageHeight) => reads.myVotes(c, stageHeight),
    currentStage: () => reads.currentStageOf(c),
    register: (pocPublicKey, proofApiUrl) =>
      transact(c, "register", [toUtf8Bytes(pocPublicKey), proofApiUrl], `registration of ${me}`),
    commit: (stageHeight, count, rootHash) =>
      transact(c, "commit", [stageHeight, count, rootHash], `commit of ${me} on stage ${stageHeight}`),
    stakeSnapshot: (stageHeight) => reads.stakeSnapshot(c, stageHeight),
    sendVotes: (stageHeight, votes, o) => sendVotes(c, stageHeight, votes, o),
    receipt: (txHash) => receipt(c, txHash),
    slotsOf: (stageHeight, participant) => reads.slotsOf(c, stageHeight, participant),
    submitVotes: (stageHeight, votes) => submitVotes(c, stageHeight, votes),
    close: () => c.provider.destroy(),
  };
}
