// `setupPocvalExtension`: the pocval queries as a cosmjs QueryClient extension, plain values out.
import { createProtobufRpcClient, type QueryClient } from "@cosmjs/stargate";
import type { Params, StageTiming } from "../gen/pocval/v1/params.js";
import { QueryClientImpl } from "../gen/pocval/v1/query.js";
import type { Commitment, Participant, StageInfo, StakeSnapshot, Tally, VoteRecord } from "../gen/pocval/v1/types.js";

/** Page through a paginated query by next_key until done. */
async function allPages<T>(
  fetch: (key: Uint8Array) => Promise<{ items: T[]; nextKey: Uint8Array | undefined }>,
): Promise<T[]> {
  const out: T[] = [];
  let key: Uint8Array = new Uint8Array();
  for (;;) {
    const page = await fetch(key);
    out.push(...page.items);
    if (!page.nextKey || page.nextKey.length === 0) return out;
    key = page.nextKey;
  }
}

const page = (key: Uint8Array) => ({ key, offset: 0n, limit: 0n, countTotal: false, reverse: false });

/** The pocval query extension, shaped like cosmjs's bank extension: plain values out. */
export interface PocvalExtension {
  readonly pocval: {
    readonly params: () => Promise<{ params: Params; timing: StageTiming; authority: string }>;
    /** stageHeight 0 (the default) asks for the stage containing the current height. */
    readonly stage: (stageHeight?: bigint) => Promise<{ stage: StageInfo; currentHeight: bigint }>;
    readonly participants: () => Promise<Participant[]>;
    readonly commitments: (stageHeight: bigint) => Promise<Commitment[]>;
    readonly votes: (
      stageHeight: bigint,
      filter?: { participant?: string; validator?: string },
    ) => Promise<VoteRecord[]>;
    readonly tally: (stageHeight: bigint, participant: string) => Promise<Tally>;
    readonly tallies: (stageHeight: bigint) => Promise<Tally[]>;
    readonly stakeSnapshot: (stageHeight: bigint) => Promise<StakeSnapshot>;
  };
}

/**
 * @example const client = QueryClient.withExtensions(comet, setupPocvalExtension);
 *          const tallies = await client.pocval.tallies(10n);
 */
export function setupPocvalExtension(base: QueryClient): PocvalExtension {
  const service = new QueryClientImpl(createProtobufRpcClient(base));
  const required = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`pocval query: the node's answer has no ${what}`);
    return value;
  };
  return {
    pocval: {
      params: async () => {
        const r = await service.Params({});
        return { params: required(r.params, "params"), timing: required(r.timing, "timing"), authority: r.authority };
      },
      stage: async (stageHeight = 0n) => {
        const r = await service.Stage({ stageHeight });
        return { stage: required(r.stage, "stage"), currentHeight: r.currentHeight };
      },
      participants: () =>
        allPages(async (key) => {
          const r = await service.Participants({ pagination: page(key) });
          return { items: r.participants, nextKey: r.pagination?.nextKey };
        }),
      commitments: (stageHeight) =>
        allPages(async (key) => {
          const r = await service.Commitments({ stageHeight, pagination: page(key) });
          return { items: r.commitments, nextKey: r.pagination?.nextKey };
        }),
      votes: (stageHeight, filter = {}) =>
        allPages(async (key) => {
          const r = await service.Votes({
            stageHeight,
            participant: filter.participant ?? "",
            validator: filter.validator ?? "",
            pagination: page(key),
          });
          return { items: r.votes, nextKey: r.pagination?.nextKey };
        }),
      tally: async (stageHeight, participant) =>
        required((await service.Tally({ stageHeight, participant })).tally, "tally"),
      tallies: (stageHeight) =>
        allPages(async (key) => {
          const r = await service.Tallies({ stageHeight, pagination: page(key) });
          return { items: r.tallies, nextKey: r.pagination?.nextKey };
        }),
      stakeSnapshot: async (stageHeight) =>
        required((await service.StakeSnapshot({ stageHeight })).snapshot, "snapshot"),
    },
  };
}
