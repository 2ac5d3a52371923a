// The PocvalTally contract's binding: params, tallies and stakes between the proto types and the
// contract's tuples, and its revert errors.
import { Contract, ContractFactory, type ContractRunner, getAddress, type Interface, toUtf8Bytes } from "ethers";
import { kCritTable as exactKCritTable, PocvalError } from "../core/index.js";
import type { Params, StageTiming } from "../gen/pocval/v1/params.js";
import type { Vote } from "../gen/pocval/v1/types.js";
import { pocvalTallyAbi, pocvalTallyBytecode } from "./artifacts/PocvalTally.js";
import { pValueToE18, toE18 } from "./decimal.js";

/** Chain params as the EVM binding carries them: the proto Params plus version 2's validation slots. */
export type EvmParams = Params & { validationSlots?: number };

/** One tally as the contract's tally() view returns it. */
export interface EvmTally {
  count: bigint;
  cheaterStake: bigint;
  honestStake: bigint;
  totalStake: bigint;
  convicted: boolean;
  isFinal: boolean;
}

export interface EvmStake {
  /** 20-byte EVM address, any case. */
  validator: string;
  stake: bigint;
}

/** A call the contract refused, with the custom error's name and arguments. */
export class ContractRevertError extends PocvalError {
  constructor(
    readonly errorName: string,
    readonly args: readonly unknown[],
    what: string,
    options?: { cause?: unknown },
  ) {
    super(`${what} reverted with ${errorName}(${args.map(String).join(", ")})`, options);
    this.name = "ContractRevertError";
  }
}

/**
 * k_crit(n) for n = 1 .. sampleSize, the table the contract checks STAT_TEST votes against, computed
 * exactly by core (Solidity does not compute binomial tails).
 * @example kCritTable({sampleSize: 3, fpRate: "0.02", alpha: "0.05"}) // [1, 2, 2]
 */
export function kCritTable(params: Pick<Params, "sampleSize" | "fpRate" | "alpha">): number[] {
  return exactKCritTable(params.sampleSize, params.fpRate, params.alpha).slice(1);
}

/** The contract's Params tuple (decimals as 18-decimal fixed point). */
export function paramsTuple(params: EvmParams) {
  return {
    model: params.model,
    seqLen: params.seqLen,
    kDim: params.kDim,
    distThresholdE18: toE18(params.distThreshold, "dist_threshold"),
    fpRateE18: toE18(params.fpRate, "fp_rate"),
    alphaE18: toE18(params.alpha, "alpha"),
    sampleSize: params.sampleSize,
    quorumNum: params.quorumNum,
    quorumDen: params.quorumDen,
    validationSlots: params.validationSlots ?? 0,
    // 0 reads as the defaults (core/params.ts availabilityParams), as on the Cosmos chain.
    proofRequestBudget: params.proofRequestBudget,
    proofResponseMs: params.proofResponseMs,
    // Version 3 early acceptance: "" (off) is false and 0; a rate must be exact in 18 decimals.
    earlyAcceptance: params.acceptanceRate !== "",
    acceptanceRateE18: params.acceptanceRate === "" ? 0n : toE18(params.acceptanceRate, "acceptance_rate"),
  };
}

/** The contract's Vote tuple for a protocol vote (participant an EVM address). */
export function voteTuple(vote: Vote) {
  return {
    participant: getAddress(vote.participant),
    verdict: vote.verdict,
    reason: vote.reason,
    checked: vote.checked,
    mismatches: vote.mismatches,
    pValueE18: pValueToE18(vote.pValue),
    evidenceHash: vote.evidenceHash,
  };
}

/** Sorts a stake snapshot into the contract's order (ascending address bytes). */
export function sortedStakes(stakes: readonly EvmStake[]): { validators: string[]; stakes: bigint[] } {
  const sorted = stakes
    .map((s) => ({ validator: getAddress(s.validator), stake: s.stake }))
    .sort((a, b) => (BigInt(a.validator) < BigInt(b.validator) ? -1 : 1));
  return { validators: sorted.map((s) => s.validator), stakes: sorted.map((s) => s.stake) };
}

/**
 * Reads the custom error out of a failed call or transaction and throws it as a
 * ContractRevertError; rethrows anything that is not a revert of this contract.
 */
export function decodeRevert(iface: Interface, e: unknown, what: string): never {
  const data = revertData(e);
  if (data !== undefined) {
    const parsed = iface.parseError(data);
    if (parsed) throw new ContractRevertError(parsed.name, [...parsed.args], what, { cause: e });
  }
  throw e;
}

function revertData(e: unknown): string | undefined {
  // ethers v6 puts the revert data on error.data (calls, estimateGas) or error.info.error.data.
  const seen = new Set<unknown>();
  const stack: unknown[] = [e];
  while (stack.length > 0) {
    const x = stack.pop();
    if (x === null || typeof x !== "object" || seen.has(x)) continue;
    seen.add(x);
    const data = (x as { data?: unknown }).data;
    if (typeof data === "string" && /^0x[0-9a-fA-F]{8}/.test(data)) return data;
    for (const key of ["error", "info", "cause", "data"]) stack.push((x as Record<string, unknown>)[key]);
  }
  return undefined;
}

/** Typed access to a deployed PocvalTally; every write waits for its receipt and throws ContractRevertError. */
export interface PocvalTally {
  readonly address: string;
  readonly contract: Contract;
  setParams(params: EvmParams, kCrit?: readonly number[]): Promise<void>;
  setStakes(stakes: readonly EvmStake[]): Promise<void>;
  register(pocPublicKey: string, proofApiUrl: string): Promise<void>;
  commit(stageHeight: bigint, count: bigint, rootHash: Uint8Array): Promise<void>;
  submitVotes(stageHeight: bigint, votes: readonly Vote[]): Promise<{ gasUsed: bigint }>;
  tally(stageHeight: bigint, participant: string): Promise<EvmTally>;
  connect(runner: ContractRunner): PocvalTally;
}

/** Wraps the contract at address for runner (a signer to write, a provider to read). */
export function pocvalTally(address: string, runner: ContractRunner): PocvalTally {
  const contract = new Contract(address, pocvalTallyAbi as unknown as string[], runner);
  const send = async (what: string, method: string, ...args: unknown[]) => {
    try {
      const tx = await contract.getFunction(method)(...args);
      const receipt = await tx.wait();
      return { gasUsed: receipt.gasUsed as bigint };
    } catch (e) {
      decodeRevert(contract.interface, e, what);
    }
  };
  return {
    address,
    contract,
    async setParams(params, kCrit = kCritTable(params)) {
      await send("setParams", "setParams", paramsTuple(params), kCrit);
    },
    async setStakes(stakes) {
      const s = sortedStakes(stakes);
      await send("setStakes", "setStakes", s.validators, s.stakes);
    },
    async register(pocPublicKey, proofApiUrl) {
      await send("register", "register", toUtf8Bytes(pocPublicKey), proofApiUrl);
    },
    async commit(stageHeight, count, rootHash) {
      await send(`commit of stage ${stageHeight}`, "commit", stageHeight, count, rootHash);
    },
    async submitVotes(stageHeight, votes) {
      return send(`votes on stage ${stageHeight}`, "submitVotes", stageHeight, votes.map(voteTuple));
    },
    async tally(stageHeight, participant) {
      const r = await contract.getFunction("tally")(stageHeight, getAddress(participant));
      return {
        count: r[0],
        cheaterStake: r[1],
        honestStake: r[2],
        totalStake: r[3],
        convicted: r[4],
        isFinal: r[5],
      };
    },
    connect: (next) => pocvalTally(address, next),
  };
}

/**
 * Deploys PocvalTally with its stage timing and governance address (the deployer by default).
 * @example const tally = await deployPocvalTally(wallet, {timing: defaultTiming()});
 */
export async function deployPocvalTally(
  signer: ContractRunner,
  options: { timing: StageTiming; governance?: string },
): Promise<PocvalTally> {
  const factory = new ContractFactory(pocvalTallyAbi as unknown as string[], pocvalTallyBytecode, signer);
  const t = options.timing;
  const governance = options.governance ?? (await (signer as { getAddress?: () => Promise<string> }).getAddress?.());
  if (governance === undefined) throw new Error("deployPocvalTally needs a governance address or a signer");
  const contract = await factory.deploy(governance, [t.stageLength, t.stageOffset, t.commitWindow, t.validationWindow]);
  await contract.waitForDeployment();
  return pocvalTally(await contract.getAddress(), signer);
}
