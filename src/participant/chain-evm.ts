// The participant agent's chain on an EVM chain with a PocvalTally contract (chain.ts's interface),
// through src/evm/chain.ts: each write estimated at the pending block, sent with a NonceManager and
// mined; a revert comes back as a refusal naming the contract's custom error. Addresses come out
// as lower-case 0x hex, the agent's own spelling (docs/protocol.md "EVM binding").
import { Wallet } from "ethers";
import { lowerEvmAddress, toHex } from "../core/index.js";
import { ContractRevertError, connectEvmChain } from "../evm/index.js";
import type { ParticipantChain, TxResult } from "./chain.js";
import type { ParticipantKey } from "./key.js";

export function connectEvmParticipantChain(opts: {
  rpcUrl: string;
  contract: string;
  key: ParticipantKey;
  /** Each failed try to reach a node that has not answered yet. */
  onWaiting?: (err: Error, attempt: number) => void;
}): ParticipantChain {
  const evm = connectEvmChain({
    rpcUrl: opts.rpcUrl,
    contract: opts.contract,
    wallet: new Wallet(`0x${toHex(opts.key.privateKey)}`),
    onWaiting: opts.onWaiting,
  });
  const refused = async (send: () => Promise<{ txHash: string; height: bigint }>): Promise<TxResult> => {
    try {
      const { txHash, height } = await send();
      return { ok: true, txHash, height };
    } catch (err) {
      if (err instanceof ContractRevertError) return { ok: false, code: err.errorName, detail: err.message };
      throw err;
    }
  };
  return {
    kind: "evm",
    params: async () => {
      const { params } = await evm.params();
      return { ...params, validationSlots: params.validationSlots ?? 0 };
    },
    currentStage: () => evm.currentStage(),
    participants: async () => (await evm.participants()).map((p) => ({ ...p, address: lowerEvmAddress(p.address) })),
    commitments: async (h) =>
      (await evm.commitments(h)).map((c) => ({ ...c, participant: lowerEvmAddress(c.participant) })),
    stakeSnapshot: async (h) => {
      const s = await evm.stakeSnapshot(h);
      return { ...s, validators: s.validators.map((v) => ({ ...v, address: lowerEvmAddress(v.address) })) };
    },
    register: (pocPublicKey, proofApiUrl) => refused(() => evm.register(pocPublicKey, proofApiUrl)),
    commit: (stageHeight, count, rootHash) => refused(() => evm.commit(stageHeight, count, rootHash)),
    close: () => evm.close(),
  };
}
