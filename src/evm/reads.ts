// The contract's reads in the proto types, as the Cosmos queries answer them: params and timing,
// a stage's windows and hashes, participants, commitments, this account's votes, stake snapshots
// and slots. Nothing here signs or sends.
import { getAddress, toUtf8String } from "ethers";
import { currentStage } from "../core/index.js";
import type { StageTiming } from "../gen/pocval/v1/params.js";
import type { Commitment, Participant, StageInfo, StakeSnapshot, VoteRecord } from "../gen/pocval/v1/types.js";
import { bare, call, type EvmConnection, getTiming, logs } from "./connection.js";
import type { EvmParams } from "./contract.js";
import { fromE18 } from "./decimal.js";

export async function latestHeight(c: EvmConnection): Promise<bigint> {
  return BigInt(await c.provider.getBlockNumber());
}

/** The latest params (governance must have set some), the timing and the k_crit table. */
export async function params(c: EvmConnection): Promise<{ params: EvmParams; timing: StageTiming; kCrit: number[] }> {
  const count = Number(await call(c, "paramsCount"));
  if (count === 0) throw new Error(`PocvalTally ${c.address} has no params yet: governance must call setParams`);
  const [p, kCrit] = await call(c, "paramsAt", count);
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
      // As stored: 0 reads as the defaults (core/params.ts availabilityParams).
      proofRequestBudget: Number(p.proofRequestBudget),
      proofResponseMs: Number(p.proofResponseMs),
      // Version 3 early acceptance: "" when off, as the module's param.
      acceptanceRate: p.earlyAcceptance ? fromE18(p.acceptanceRateE18) : "",
    },
    timing: await getTiming(c),
    kCrit: [...kCrit].map(Number),
  };
}

async function hashAt(c: EvmConnection, height: bigint, latest: bigint): Promise<string> {
  return height <= latest ? bare((await c.provider.getBlock(height))?.hash ?? "") : "";
}

/** A stage's windows, and its seed and sampling hashes once those blocks exist. */
export async function stageInfo(c: EvmConnection, stageHeight: bigint): Promise<StageInfo> {
  const t = await getTiming(c);
  const latest = BigInt(await c.provider.getBlockNumber());
  const samplingHeight = stageHeight + t.commitWindow;
  const validationEndHeight = samplingHeight + t.validationWindow;
  return {
    stageHeight,
    commitEndHeight: samplingHeight - 1n,
    samplingHeight,
    validationStartHeight: samplingHeight + 1n,
    validationEndHeight,
    generationSeed: await hashAt(c, stageHeight, latest),
    samplingBlockHash: await hashAt(c, samplingHeight, latest),
    finalized: latest > validationEndHeight,
  };
}

/** The stage the latest block is in (the Cosmos `stage` query without a height) and that height. */
export async function currentStageOf(c: EvmConnection): Promise<{ stage: StageInfo; currentHeight: bigint }> {
  const t = await getTiming(c);
  const currentHeight = BigInt(await c.provider.getBlockNumber());
  return { stage: await stageInfo(c, currentStage(t, currentHeight)), currentHeight };
}

export async function participants(c: EvmConnection): Promise<Participant[]> {
  const seen = new Set<string>();
  for (const log of await logs(c, "Registered")) seen.add(getAddress(log.args[0] as string));
  return Promise.all(
    [...seen].map(async (who) => {
      const [key, url, height] = await call(c, "participantOf", who);
      return { address: who, pocPublicKey: toUtf8String(key), proofApiUrl: url, registeredHeight: height };
    }),
  );
}

export async function commitments(c: EvmConnection, stageHeight: bigint): Promise<Commitment[]> {
  const seen = new Set<string>();
  for (const log of await logs(c, "Committed", stageHeight)) seen.add(getAddress(log.args[1] as string));
  return Promise.all(
    [...seen].map(async (participant) => {
      const [count, root, height] = await call(c, "commitmentOf", stageHeight, participant);
      return {
        participant,
        stageHeight,
        count,
        rootHash: Uint8Array.from(Buffer.from(bare(root), "hex")),
        height,
      };
    }),
  );
}

/** Votes this account cast in a stage, from the Voted and VoteEvidence logs. */
export async function myVotes(c: EvmConnection, stageHeight: bigint): Promise<VoteRecord[]> {
  const { me } = c;
  const [voted, evidence] = await Promise.all([
    logs(c, "Voted", stageHeight, me),
    logs(c, "VoteEvidence", stageHeight, me),
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
}

/** The validator set version a stage uses (the one in effect at its block S): checksummed addresses. */
export async function stakeSnapshot(c: EvmConnection, stageHeight: bigint): Promise<StakeSnapshot> {
  const [, setVersion] = await call(c, "stageVersions", stageHeight);
  if (Number(setVersion) === 0) return { stageHeight, validators: [], totalStake: "0" };
  const [validators, stakes, total] = await call(c, "stakesAt", setVersion);
  return {
    stageHeight,
    validators: [...validators].map((v: string, i: number) => ({
      address: getAddress(v),
      stake: String(stakes[i]),
    })),
    totalStake: String(total),
  };
}

/** How many slots of a participant this account holds (version 2; 0 when slots are off). */
export async function slotsOf(c: EvmConnection, stageHeight: bigint, participant: string): Promise<number> {
  // At "pending": a block's own hash is visible only to later blocks, and the vote lands in the next one.
  return Number(await call(c, "slotsOf", stageHeight, c.me, getAddress(participant), { blockTag: "pending" }));
}
