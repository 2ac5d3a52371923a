// The chain as a sidecar or participant sees it, on an EVM node with a PocvalTally contract: the
// same reads as the Cosmos queries (in the proto types), vote batches with their own nonces and
// gas estimated against the pending block, and block following by eth_subscribe or polling.

import {
  type BaseWallet,
  Contract,
  getAddress,
  type JsonRpcProvider,
  keccak256,
  NonceManager,
  toUtf8Bytes,
  toUtf8String,
  type WebSocketLike,
  WebSocketProvider,
} from "ethers";
import { WebSocket } from "ws";
import { currentStage } from "../core/index.js";
import type { StageTiming } from "../gen/pocval/v1/params.js";
import type { Commitment, Participant, StageInfo, StakeSnapshot, Vote, VoteRecord } from "../gen/pocval/v1/types.js";
import { pocvalTallyAbi } from "./artifacts/PocvalTally.js";
import { decodeRevert, type EvmParams, voteTuple } from "./contract.js";
import { fromE18 } from "./decimal.js";
import { PatientJsonRpcProvider } from "./provider.js";

/** A WebSocketProvider whose socket errors go to onError: ethers leaves the socket's "error" event unhandled, which would end the process. */
function websocketProvider(url: string, onError: (err: Error) => void): WebSocketProvider {
  return new WebSocketProvider(() => {
    const socket = new WebSocket(url);
    socket.on("error", onError);
    return socket as unknown as WebSocketLike;
  });
}

/** Hex without 0x, lower case: how the protocol spells block hashes (seeds, sampling). */
const bare = (hash: string) => hash.replace(/^0x/, "").toLowerCase();

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

/** What became of a transaction: mined (applied or reverted), or not seen within the timeout. */
export type EvmTxOutcome =
  | { status: "mined"; ok: boolean; txHash: string; height: bigint; gasUsed: bigint }
  | { status: "unknown"; txHash: string; detail: string };

/**
 * Connects a wallet (the account's key on the Ethereum HD path) to the PocvalTally at address.
 * @example const chain = await connectEvmChain({rpcUrl, contract, wallet});
 */
export function connectEvmChain(opts: {
  rpcUrl: string;
  contract: string;
  wallet: BaseWallet;
  /** Added to the estimate, in percent (default 20). */
  gasMarginPercent?: number;
  /** Each failed try to reach a node that has not answered yet (evm/provider.ts). */
  onWaiting?: (err: Error, attempt: number) => void;
}): EvmChain {
  // Over websocket a dropped socket fails the reads and sends that follow (an http URL is sturdier).
  const provider = opts.rpcUrl.startsWith("ws")
    ? websocketProvider(opts.rpcUrl, () => undefined)
    : new PatientJsonRpcProvider(opts.rpcUrl, { pollingInterval: 250, onWaiting: opts.onWaiting });
  const signer = new NonceManager(opts.wallet.connect(provider));
  const address = getAddress(opts.contract);
  const read = new Contract(address, pocvalTallyAbi as unknown as string[], provider);
  const write = new Contract(address, pocvalTallyAbi as unknown as string[], signer);
  const me = opts.wallet.address;
  const margin = BigInt(100 + (opts.gasMarginPercent ?? 20));
  const call = (name: string, ...args: unknown[]) => read.getFunction(name)(...args);
  const logs = (event: string, ...topics: unknown[]) =>
    read.queryFilter(read.filters[event]!(...topics), 0, "latest") as Promise<
      { args: unknown[]; blockNumber: number }[]
    >;
  let timing: StageTiming | undefined;
  const getTiming = async () => {
    timing ??= {
      stageLength: await call("stageLength"),
      stageOffset: await call("stageOffset"),
      commitWindow: await call("commitWindow"),
      validationWindow: await call("validationWindow"),
    };
    return timing;
  };
  const outcomeOf = (
    txHash: string,
    r: { status: number | null; blockNumber: number; gasUsed: bigint } | null,
  ): EvmTxOutcome | null =>
    r === null
      ? null
      : { status: "mined", ok: r.status === 1, txHash, height: BigInt(r.blockNumber), gasUsed: r.gasUsed };
  const estimateVotes = async (stageHeight: bigint, votes: readonly Vote[]) => {
    const data = read.interface.encodeFunctionData("submitVotes", [stageHeight, votes.map(voteTuple)]);
    try {
      // eth_call at latest runs with the latest block's number; the transaction lands one later.
      const estimate = BigInt(await provider.send("eth_estimateGas", [{ from: me, to: address, data }, "pending"]));
      return { data, gasLimit: (estimate * margin) / 100n };
    } catch (e) {
      decodeRevert(read.interface, e, `votes of ${me} on stage ${stageHeight}`);
    }
  };
  /** A write of this account: estimated at pending plus the margin, sent with the NonceManager, mined. */
  const transact = async (method: string, args: unknown[], what: string) => {
    const data = read.interface.encodeFunctionData(method, args);
    try {
      const estimate = BigInt(await provider.send("eth_estimateGas", [{ from: me, to: address, data }, "pending"]));
      const tx = await signer.sendTransaction({ to: address, data, gasLimit: (estimate * margin) / 100n });
      const receipt = (await tx.wait())!;
      return { txHash: tx.hash, height: BigInt(receipt.blockNumber), gasUsed: receipt.gasUsed };
    } catch (e) {
      signer.reset();
      decodeRevert(read.interface, e, what);
    }
  };
  const hashAt = async (height: bigint, latest: bigint) =>
    height <= latest ? bare((await provider.getBlock(height))?.hash ?? "") : "";
  const stageInfo = async (stageHeight: bigint): Promise<StageInfo> => {
    const t = await getTiming();
    const latest = BigInt(await provider.getBlockNumber());
    const samplingHeight = stageHeight + t.commitWindow;
    const validationEndHeight = samplingHeight + t.validationWindow;
    return {
      stageHeight,
      commitEndHeight: samplingHeight - 1n,
      samplingHeight,
      validationStartHeight: samplingHeight + 1n,
      validationEndHeight,
      generationSeed: await hashAt(stageHeight, latest),
      samplingBlockHash: await hashAt(samplingHeight, latest),
      finalized: latest > validationEndHeight,
    };
  };
  return {
    address,
    latestHeight: async () => BigInt(await provider.getBlockNumber()),
    async params() {
      const count = Number(await call("paramsCount"));
      if (count === 0) throw new Error(`PocvalTally ${address} has no params yet: governance must call setParams`);
      const [p, kCrit] = await call("paramsAt", count);
      return {
        params: {
          model: p.model,
          seqLen: Number(p.seqLen),
          kDim: Number(p.kDim),
          distThreshold: fromE18(p.distThresholdE18),
          fpRate: fromE18(p.fpRateE18),
          alpha: fromE18(p.alphaE18),
          sampleSize: Number(p.sampleSize),
          quorumNum: p.quorumNum,
          quorumDen: p.quorumDen,
          validationSlots: Number(p.validationSlots),
          // The contract does not store the availability params: 0 reads as their defaults (core/params.ts).
          proofRequestBudget: 0,
          proofResponseMs: 0,
        },
        timing: await getTiming(),
        kCrit: [...kCrit].map(Number),
      };
    },
    stage: stageInfo,
    async participants() {
      const seen = new Set<string>();
      for (const log of await logs("Registered")) seen.add(getAddress(log.args[0] as string));
      return Promise.all(
        [...seen].map(async (who) => {
          const [key, url, height] = await call("participantOf", who);
          return { address: who, pocPublicKey: toUtf8String(key), proofApiUrl: url, registeredHeight: height };
        }),
      );
    },
    async commitments(stageHeight) {
      const seen = new Set<string>();
      for (const log of await logs("Committed", stageHeight)) seen.add(getAddress(log.args[1] as string));
      return Promise.all(
        [...seen].map(async (participant) => {
          const [count, root, height] = await call("commitmentOf", stageHeight, participant);
          return {
            participant,
            stageHeight,
            count,
            rootHash: Uint8Array.from(Buffer.from(bare(root), "hex")),
            height,
          };
        }),
      );
    },
    async myVotes(stageHeight) {
      const [voted, evidence] = await Promise.all([
        logs("Voted", stageHeight, me),
        logs("VoteEvidence", stageHeight, me),
      ]);
      return voted.map((log, i) => {
        const e = evidence[i]!.args;
        return {
          stageHeight,
          validator: me,
          height: BigInt(log.blockNumber),
          vote: {
            participant: getAddress(log.args[2] as string),
            verdict: Number(log.args[3]),
            reason: Number(log.args[4]),
            checked: Number(e[3]),
            mismatches: Number(e[4]),
            pValue: fromE18(e[5] as bigint),
            evidenceHash: Uint8Array.from(Buffer.from(bare(e[6] as string), "hex")),
          },
        };
      });
    },
    async currentStage() {
      const t = await getTiming();
      const currentHeight = BigInt(await provider.getBlockNumber());
      return { stage: await stageInfo(currentStage(t, currentHeight)), currentHeight };
    },
    register: (pocPublicKey, proofApiUrl) =>
      transact("register", [toUtf8Bytes(pocPublicKey), proofApiUrl], `registration of ${me}`),
    commit: (stageHeight, count, rootHash) =>
      transact("commit", [stageHeight, count, rootHash], `commit of ${me} on stage ${stageHeight}`),
    async stakeSnapshot(stageHeight) {
      const [, setVersion] = await call("stageVersions", stageHeight);
      if (Number(setVersion) === 0) return { stageHeight, validators: [], totalStake: "0" };
      const [validators, stakes, total] = await call("stakesAt", setVersion);
      return {
        stageHeight,
        validators: [...validators].map((v: string, i: number) => ({
          address: getAddress(v),
          stake: String(stakes[i]),
        })),
        totalStake: String(total),
      };
    },
    async sendVotes(stageHeight, votes, o) {
      const { data, gasLimit } = await estimateVotes(stageHeight, votes);
      const nonce = await signer.getNonce("pending");
      let raw: string;
      try {
        const tx = await opts.wallet.connect(provider).populateTransaction({ to: address, data, gasLimit, nonce });
        raw = await opts.wallet.signTransaction(tx);
      } catch (e) {
        throw new Error(`cannot sign the votes of ${me} on stage ${stageHeight}: ${(e as Error).message}`, {
          cause: e,
        });
      }
      const txHash = keccak256(raw);
      o.onSigned(txHash, { nonce, gas: gasLimit });
      try {
        await provider.broadcastTransaction(raw);
        signer.increment();
      } catch (e) {
        // The node may have it anyway (a lost answer): the receipt decides; the nonce is read afresh.
        signer.reset();
        const mined = outcomeOf(txHash, await provider.getTransactionReceipt(txHash).catch(() => null));
        if (mined) return mined;
        return { status: "unknown", txHash, detail: `broadcast failed: ${(e as Error).message}` };
      }
      try {
        return outcomeOf(txHash, await provider.waitForTransaction(txHash, 1, o.inclusionTimeoutMs))!;
      } catch (e) {
        // Not mined in time (dropped, or replaced by another transaction with its nonce).
        signer.reset();
        return { status: "unknown", txHash, detail: (e as Error).message };
      }
    },
    receipt: async (txHash) => outcomeOf(txHash, await provider.getTransactionReceipt(txHash)),
    async slotsOf(stageHeight, participant) {
      // At "pending": a block's own hash is visible only to later blocks, and the vote lands in the next one.
      return Number(await call("slotsOf", stageHeight, me, getAddress(participant), { blockTag: "pending" }));
    },
    async submitVotes(stageHeight, votes) {
      const args = [stageHeight, votes.map(voteTuple)];
      const fn = write.getFunction("submitVotes");
      const { gasLimit } = await estimateVotes(stageHeight, votes);
      try {
        const tx = await fn.send(...args, { gasLimit });
        const receipt = (await tx.wait())!;
        return { txHash: tx.hash, gasUsed: receipt.gasUsed, height: BigInt(receipt.blockNumber) };
      } catch (e) {
        // A failed send may have consumed a nonce locally that the node never saw.
        signer.reset();
        decodeRevert(read.interface, e, `votes of ${me} on stage ${stageHeight}`);
      }
    },
    close: () => provider.destroy(),
  };
}

/**
 * Follows new block heights by eth_subscribe("newHeads") over websocket, or by polling over HTTP.
 * A socket error (a refused connection, a dropped one) goes to onError instead of being thrown
 * from the socket; the follower does not reconnect by itself.
 */
export function followEvmBlocks(opts: {
  url: string;
  pollIntervalMs?: number;
  onHeight: (height: bigint) => void;
  onError?: (err: Error) => void;
}): {
  height(): bigint;
  stop(): void;
} {
  // Polling over http: a node not up yet is waited for, each try reported as an error.
  let best = 0n;
  const see = (h: bigint) => {
    if (h <= best) return;
    best = h;
    opts.onHeight(h);
  };
  const provider: JsonRpcProvider | WebSocketProvider = opts.url.startsWith("ws")
    ? websocketProvider(opts.url, (err) => opts.onError?.(err))
    : new PatientJsonRpcProvider(opts.url, {
        pollingInterval: opts.pollIntervalMs ?? 500,
        onWaiting: (err) => opts.onError?.(err),
      });
  // ethers subscribes with eth_subscribe on a websocket provider and polls eth_blockNumber otherwise.
  void provider.on("block", (n: number) => see(BigInt(n)));
  return {
    height: () => best,
    stop() {
      // Over websocket the eth_unsubscribe goes out unawaited: a request after it is answered after
      // it, so the socket closes with nothing outstanding (an ethers rejection nobody catches otherwise).
      void provider
        .removeAllListeners()
        .then(() => provider.send("eth_blockNumber", []))
        .catch(() => undefined)
        .finally(() => provider.destroy());
    },
  };
}
