// Read-only queries of a deployed PocvalTally, in the shapes the Cosmos queries return.
import { Contract, type ContractRunner, getAddress } from "ethers";
import type { Tally, VoteRecord } from "../gen/pocval/v1/types.js";
import { pocvalTallyAbi } from "./artifacts/PocvalTally.js";
import { fromE18 } from "./decimal.js";

/** Read-only view of a deployed PocvalTally, in the shapes the Cosmos queries return. */
export interface EvmTallyReader {
  /** The participants that committed in a stage, from the Committed logs, in first-commit order. */
  committed(stageHeight: bigint): Promise<string[]>;
  /** The tally of one participant, as the Cosmos module's Tally. */
  tally(stageHeight: bigint, participant: string): Promise<Tally & { isFinal: boolean }>;
  /** Every committed participant's tally of a stage (the Cosmos `tallies` query). */
  tallies(stageHeight: bigint): Promise<(Tally & { isFinal: boolean })[]>;
  /** Every vote of a stage (the Cosmos `votes` query), from its Voted and VoteEvidence logs. */
  votes(stageHeight: bigint): Promise<VoteRecord[]>;
  /** The registered participants, from the Registered logs, in first-registration order. */
  registered(): Promise<string[]>;
}

/**
 * Reads tallies from the contract at address: tally() and tallyCounts() per participant, the
 * participants of a stage from its Committed events (the contract keeps no list, to keep commits cheap).
 * @example const t = await evmTallyReader(provider, "0x5FbD...").tallies(120n);
 */
export function evmTallyReader(runner: ContractRunner, address: string): EvmTallyReader {
  const contract = new Contract(getAddress(address), pocvalTallyAbi as unknown as string[], runner);
  const tally = async (stageHeight: bigint, participant: string) => {
    const who = getAddress(participant);
    const [t, counts, decidedHeight] = await Promise.all([
      contract.getFunction("tally")(stageHeight, who),
      contract.getFunction("tallyCounts")(stageHeight, who),
      contract.getFunction("decidedHeight")(stageHeight, who) as Promise<bigint>,
    ]);
    const [count, cheater, honest, total, convicted, isFinal] = t as unknown as [
      bigint,
      bigint,
      bigint,
      bigint,
      boolean,
      boolean,
    ];
    const slotsOn = Number(counts[2]) > 0;
    return {
      stageHeight,
      participant: who,
      count,
      totalStake: total.toString(),
      cheaterStake: cheater.toString(),
      honestStake: honest.toString(),
      abstainStake: (total - cheater - honest).toString(),
      convicted,
      weight: convicted ? 0n : count,
      cheaterVotes: Number(counts[0]),
      honestVotes: Number(counts[1]),
      // tallyCounts: (cheaterVotes, honestVotes, slots, cheaterSlots, honestSlots); slots 0 when off,
      // when the contract still counts a slot per vote: the slot fields are then 0, as the module has them.
      slots: Number(counts[2]),
      cheaterSlots: slotsOn ? Number(counts[3]) : 0,
      honestSlots: slotsOn ? Number(counts[4]) : 0,
      abstainSlots: slotsOn ? Number(counts[2]) - Number(counts[3]) - Number(counts[4]) : 0,
      // docs/protocol.md, decided tallies: 0 while a possible vote could still change the verdict.
      decidedHeight: BigInt(decidedHeight),
      isFinal,
    };
  };
  const committed = async (stageHeight: bigint) => {
    const logs = await contract.queryFilter(contract.filters.Committed!(stageHeight), 0, "latest");
    const seen = new Set<string>();
    for (const log of logs) {
      const participant = (log as unknown as { args: unknown[] }).args[1] as string;
      seen.add(getAddress(participant));
    }
    return [...seen];
  };
  type Log = { args: unknown[]; blockNumber: number };
  const logs = async (event: string, ...topics: unknown[]) =>
    (await contract.queryFilter(contract.filters[event]!(...topics), 0, "latest")) as unknown as Log[];
  return {
    committed,
    tally,
    async votes(stageHeight) {
      const [voted, evidence] = await Promise.all([logs("Voted", stageHeight), logs("VoteEvidence", stageHeight)]);
      // One vote per (validator, participant): the two events of a vote share that pair.
      const pair = (a: unknown, b: unknown) => `${getAddress(a as string)}/${getAddress(b as string)}`;
      const numbers = new Map(evidence.map((e) => [pair(e.args[1], e.args[2]), e.args]));
      return voted.map((log) => {
        const e = numbers.get(pair(log.args[1], log.args[2]));
        return {
          stageHeight,
          validator: getAddress(log.args[1] as string),
          height: BigInt(log.blockNumber),
          vote: {
            participant: getAddress(log.args[2] as string),
            verdict: Number(log.args[3]),
            reason: Number(log.args[4]),
            checked: Number(e?.[3] ?? 0),
            mismatches: Number(e?.[4] ?? 0),
            pValue: e ? fromE18(e[5] as bigint) : "",
            evidenceHash: e ? Uint8Array.from(Buffer.from((e[6] as string).slice(2), "hex")) : new Uint8Array(),
          },
        };
      });
    },
    async registered() {
      return [...new Set((await logs("Registered")).map((l) => getAddress(l.args[0] as string)))];
    },
    async tallies(stageHeight) {
      const participants = await committed(stageHeight);
      return Promise.all(participants.map((p) => tally(stageHeight, p)));
    },
  };
}
