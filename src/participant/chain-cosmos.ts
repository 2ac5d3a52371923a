// The participant agent's chain on a Cosmos chain with the pocval module (chain.ts's interface):
// queries and signing over HTTP through cosmjs, with the config's gas and fee.
import { calculateFee, GasPrice, QueryClient, SigningStargateClient, type StdFee } from "@cosmjs/stargate";
import { Comet38Client, HttpClient } from "@cosmjs/tendermint-rpc";
import {
  createPocvalRegistry,
  type MsgCommitArtifactsEncodeObject,
  type MsgRegisterParticipantEncodeObject,
  setupPocvalExtension,
  typeUrls,
} from "../client/index.js";
import type { ParticipantChain, TxResult } from "./chain.js";
import type { ParticipantConfig } from "./config.js";
import type { ParticipantKey } from "./key.js";

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
