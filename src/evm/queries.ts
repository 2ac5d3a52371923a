import { Contract, type ContractRunner, getAddress } from "ethers";
import type { Tally } from "../gen/pocval/v1/types.js";
import { pocvalTallyAbi } from "./artifacts/PocvalTally.js";

/** Read-only view of a deployed PocvalTally, in the shapes the Cosmos queries return. */
export interface EvmTallyReader {
  /** The participants that committed in a stage, from the Committed logs, in first-commit order. */
  committed(stageHeight: bigint): Promise<string[]>;
  /** The tally of one participant, as the Cosmos module's Tally. */
  tally(stageHeight: bigint, participant: string): Promise<Tally & { isFinal: boolean }>;
  /** Every committed participant's tally of a stage (the Cosmos `tallies` query). */
  tallies(stageHeight: bigint): Promise<(Tally & { isFinal: boolean })[]>;
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
    const [t, counts] = await Promise.all([
      contract.getFunction("tally")(stageHeight, who),
      contract.getFunction("tallyCounts")(stageHeight, who),
    ]);
    const [count, cheater, honest, total, convicted, isFinal] = t as unknown as [
      bigint,
      bigint,
      bigint,
      bigint,
      boolean,
      boolean,
    ];
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
      // tallyCounts: (cheaterVotes, honestVotes, slots, cheaterSlots, honestSlots); slots 0 when off.
      slots: Number(counts[2]),
      cheaterSlots: Number(counts[3]),
      honestSlots: Number(counts[4]),
      abstainSlots: Number(counts[2]) - Number(counts[3]) - Number(counts[4]),
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
  return {
    committed,
    tally,
    async tallies(stageHeight) {
      const participants = await committed(stageHeight);
      return Promise.all(participants.map((p) => tally(stageHeight, p)));
    },
  };
}
