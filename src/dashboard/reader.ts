// Reads the pocval module for the dashboard through the project's own cosmjs extension.
// Finalized stages never change, so their views are cached; the node may come and go.
import { QueryClient } from "@cosmjs/stargate";
import { type CometClient, connectComet } from "@cosmjs/tendermint-rpc";
import { type PocvalExtension, setupPocvalExtension } from "../client/index.js";
import { firstStageStart, PocvalError, stageStartAtOrBefore } from "../core/index.js";
import type { Params, StageTiming } from "../gen/pocval/v1/params.js";
import type { Participant, StageInfo } from "../gen/pocval/v1/types.js";
import type { OverviewView, ParticipantHistoryView, StageView, ValidatorHistoryView } from "./api-types.js";
import { overviewView, participantHistory, stageView, validatorHistory } from "./views.js";

/** The node could not be reached or answered with an error: the page shows it as a banner. */
export class NodeUnreachableError extends PocvalError {
  override name = "NodeUnreachableError";
}

/** A stage, participant or validator the chain does not know: the page shows not-found. */
export class NotFoundError extends PocvalError {
  override name = "NotFoundError";
}

export interface ChainReader {
  /** The latest height, or a NodeUnreachableError. */
  height(): Promise<bigint>;
  overview(limit: number): Promise<OverviewView>;
  stage(stageHeight: bigint): Promise<StageView>;
  participant(address: string, limit: number): Promise<ParticipantHistoryView>;
  validator(address: string, limit: number): Promise<ValidatorHistoryView>;
  close(): void;
}

/** The inputs of a stage's view as a chain gives them (views.ts `stageView` without the params). */
export type StageInputs = Omit<Parameters<typeof stageView>[0], "params">;

/**
 * What the views need of a chain: the pocval module's queries or a PocvalTally's reads. Each
 * read fails with NotFoundError or NodeUnreachableError, as the page shows them.
 */
export interface StageSource {
  height(): Promise<bigint>;
  params(): Promise<{ params: Params; timing: StageTiming }>;
  stageInfo(stageHeight: bigint): Promise<StageInfo>;
  /** A started stage's info, snapshot, commitments, votes and (once final) tallies, under the chain's timing. */
  stageInputs(stageHeight: bigint, timing: StageTiming): Promise<StageInputs>;
  participants(): Promise<Participant[]>;
  /** A path address as the chain spells it (NotFoundError when it cannot be one). */
  address(raw: string, what: "participant" | "validator"): string;
  close(): void;
}

/**
 * The dashboard's views over any chain: the params read once, finalized stages cached (they never
 * change), the overview, and participant and validator histories over the recent final stages.
 */
export function readerOver(source: StageSource): ChainReader {
  let params: { params: Params; timing: StageTiming } | undefined;
  const finalized = new Map<bigint, StageView>();
  const chainParams = async () => {
    params ??= await source.params();
    return params;
  };

  /** Stage starts at or before the current height, newest first, at most limit. */
  const recentStages = (timing: StageTiming, current: bigint, limit: number): bigint[] => {
    const out: bigint[] = [];
    const first = firstStageStart(timing);
    let s = stageStartAtOrBefore(timing, current);
    while (s !== undefined && s >= first && out.length < limit) {
      out.push(s);
      s -= timing.stageLength;
    }
    return out;
  };

  const stage = async (stageHeight: bigint): Promise<StageView> => {
    const cached = finalized.get(stageHeight);
    if (cached) return cached;
    const { params: p, timing } = await chainParams();
    const view = stageView({ ...(await source.stageInputs(stageHeight, timing)), params: p });
    if (view.stage.finalized) finalized.set(stageHeight, view);
    return view;
  };

  const finalizedStages = async (limit: number): Promise<StageView[]> => {
    const { timing } = await chainParams();
    const current = await source.height();
    const views: StageView[] = [];
    for (const s of recentStages(timing, current, limit)) {
      const v = await stage(s);
      if (v.stage.finalized) views.push(v);
    }
    return views;
  };

  return {
    height: () => source.height(),
    async overview(limit) {
      const { params: p, timing } = await chainParams();
      const current = await source.height();
      const infos: StageInfo[] = [];
      for (const s of recentStages(timing, current, limit)) {
        const cached = finalized.get(s);
        if (cached) {
          const c = cached.stage;
          infos.push({
            stageHeight: BigInt(c.stage_height),
            commitEndHeight: BigInt(c.commit_end_height),
            samplingHeight: BigInt(c.sampling_height),
            validationStartHeight: BigInt(c.validation_start_height),
            validationEndHeight: BigInt(c.validation_end_height),
            generationSeed: "",
            samplingBlockHash: cached.sampling_block_hash,
            finalized: true,
          });
        } else {
          infos.push(await source.stageInfo(s));
        }
      }
      return overviewView(p, timing, current, infos);
    },
    stage,
    async participant(address, limit) {
      const who = source.address(address, "participant");
      const found = (await source.participants()).find((p) => p.address === who);
      if (!found) throw new NotFoundError(`participant ${who} is not registered`);
      return participantHistory(found, await finalizedStages(limit));
    },
    async validator(address, limit) {
      const who = source.address(address, "validator");
      const view = validatorHistory(who, await finalizedStages(limit));
      if (!view) throw new NotFoundError(`validator ${who} is in no stake snapshot of the last ${limit} stages`);
      return view;
    },
    close: () => source.close(),
  };
}

type Query = PocvalExtension["pocval"];

/** The chain's answer for a missing object says "not found" (code 22, NotFound) or "not a stage start". */
const isNotFound = (err: unknown) =>
  err instanceof Error && /not found|no tally|no stake snapshot|not a stage start|NotFound/i.test(err.message);

export function createChainReader(nodeUrl: string): ChainReader {
  let comet: CometClient | undefined;
  let connecting: Promise<{ comet: CometClient; q: Query }> | undefined;
  let q: Query | undefined;
  const drop = () => {
    comet?.disconnect();
    comet = undefined;
    q = undefined;
    connecting = undefined;
  };

  const connect = async (): Promise<Query> => {
    if (q) return q;
    connecting ??= (async () => {
      const c = await connectComet(nodeUrl);
      return { comet: c, q: QueryClient.withExtensions(c, setupPocvalExtension).pocval };
    })();
    try {
      const r = await connecting;
      comet = r.comet;
      q = r.q;
      return q;
    } catch (err) {
      connecting = undefined;
      throw new NodeUnreachableError(`node ${nodeUrl} unreachable: ${(err as Error).message}`, { cause: err });
    }
  };

  /** Runs a read; transport failures drop the connection (reconnect next time) and become NodeUnreachableError. */
  const read = async <T>(fn: (q: Query, comet: CometClient) => Promise<T>): Promise<T> => {
    const query = await connect();
    try {
      return await fn(query, comet!);
    } catch (err) {
      // A NotFoundError thrown by the read itself (a stage not started yet) is no node failure.
      if (err instanceof NotFoundError) throw err;
      if (isNotFound(err)) throw new NotFoundError((err as Error).message, { cause: err });
      drop();
      throw new NodeUnreachableError(`node ${nodeUrl}: ${(err as Error).message}`, { cause: err });
    }
  };

  return readerOver({
    height: () => read(async (_q, c) => BigInt((await c.status()).syncInfo.latestBlockHeight)),
    params: () => read((query) => query.params()),
    stageInfo: async (s) => (await read((query) => query.stage(s))).stage,
    stageInputs: (stageHeight) =>
      read(async (query) => {
        const { stage: info, currentHeight } = await query.stage(stageHeight);
        if (info.stageHeight > currentHeight) throw new NotFoundError(`stage ${stageHeight} has not started yet`);
        const [snapshot, commitments, votes, tallies] = await Promise.all([
          query.stakeSnapshot(stageHeight).catch((err) => (isNotFound(err) ? undefined : Promise.reject(err))),
          query.commitments(stageHeight),
          query.votes(stageHeight),
          // Decided tallies answer before the window's end; the final ones after it.
          query.tallies(stageHeight),
        ]);
        return {
          stage: info,
          currentHeight,
          snapshot,
          committed: commitments.map((c) => c.participant),
          tallies,
          votes,
        };
      }),
    participants: () => read((query) => query.participants()),
    address: (raw) => raw,
    close: drop,
  });
}
