// The participant agent's view of the chain, one interface with two implementations: the pocval
// module of a Cosmos chain (cosmjs, below) and a PocvalTally contract on an EVM chain (chain-evm.ts).
// Registration, commits, stage following and the proof server only ever see this interface.
import { calculateFee, GasPrice, QueryClient, SigningStargateClient, type StdFee } from "@cosmjs/stargate";
import { Comet38Client, HttpClient } from "@cosmjs/tendermint-rpc";
import {
  createPocvalRegistry,
  type MsgCommitArtifactsEncodeObject,
  type MsgRegisterParticipantEncodeObject,
  setupPocvalExtension,
  typeUrls,
} from "../client/index.js";
import type { Params } from "../gen/pocval/v1/params.js";
import type { Commitment, Participant, StageInfo, StakeSnapshot } from "../gen/pocval/v1/types.js";
import type { ParticipantConfig } from "./config.js";
import type { ParticipantKey } from "./key.js";

/** A transaction's fate: landed at a height, or refused with the chain's reason. */
export type TxResult = { ok: true; height: bigint; txHash: string } | { ok: false; code: string; detail: string };

export interface ParticipantChain {
  readonly kind: "cosmos" | "evm";
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

/** The Cosmos implementation: queries and a signer with the config's fee over the node's RPC. */
export function connectCosmosParticipantChain(config: ParticipantConfig, key: ParticipantKey): ParticipantChain {
  const comet = Comet38Client.create(new HttpClient(config.chain.rpcUrl, config.node.requestTimeoutMs));
  const query = QueryClient.withExtensions(comet, setupPocvalExtension);
  const gasPrice = GasPrice.fromString(config.node.gasPrice);
  const signer = SigningStargateClient.createWithSigner(comet, key.wallet, {
    registry: createPocvalRegistry(),
    gasPrice,
    broadcastPollIntervalMs: Math.max(25, Math.floor(config.node.pollIntervalMs / 2)),
    broadcastTimeoutMs: config.node.broadcastTimeoutMs,
  });
  const fee: StdFee | "auto" = config.node.gas === "auto" ? "auto" : calculateFee(config.node.gas, gasPrice);
  const send = async (msg: MsgRegisterParticipantEncodeObject | MsgCommitArtifactsEncodeObject): Promise<TxResult> => {
    const res = await signer.signAndBroadcast(key.address, [msg], fee);
    return res.code === 0
      ? { ok: true, height: BigInt(res.height), txHash: res.transactionHash }
      : { ok: false, code: String(res.code), detail: res.rawLog ?? "" };
  };
  return {
    kind: "cosmos",
    params: async () => (await query.pocval.params()).params,
    currentStage: () => query.pocval.stage(),
    participants: () => query.pocval.participants(),
    commitments: (h) => query.pocval.commitments(h),
    stakeSnapshot: (h) => query.pocval.stakeSnapshot(h),
    register: (pocPublicKey, proofApiUrl) =>
      send({
        typeUrl: typeUrls.registerParticipant,
        value: { creator: key.address, pocPublicKey, proofApiUrl },
      }),
    commit: (stageHeight, count, rootHash) =>
      send({ typeUrl: typeUrls.commitArtifacts, value: { creator: key.address, stageHeight, count, rootHash } }),
    close: () => signer.disconnect(),
  };
}
