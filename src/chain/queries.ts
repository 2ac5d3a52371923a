// The module's gRPC-style queries over the store, with Cosmos SDK pagination. Read-only.
import type { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import { currentStage, isStageStart, stageStartAtOrBefore, stageWindows } from "../core/index.js";
import type { StageTiming } from "../gen/pocval/v1/params.js";
import {
  QueryCommitmentsRequest,
  QueryCommitmentsResponse,
  QueryParamsRequest,
  QueryParamsResponse,
  QueryParticipantsRequest,
  QueryParticipantsResponse,
  QuerySlotsRequest,
  QuerySlotsResponse,
  QueryStageRequest,
  QueryStageResponse,
  QueryStakeSnapshotRequest,
  QueryStakeSnapshotResponse,
  QueryTalliesRequest,
  QueryTalliesResponse,
  QueryTallyRequest,
  QueryTallyResponse,
  QueryVotesRequest,
  QueryVotesResponse,
} from "../gen/pocval/v1/query.js";
import {
  Commitment,
  type PageRequest,
  type PageResponse,
  Participant,
  Tally,
  VoteRecord,
} from "../gen/pocval/v1/types.js";
import type { BlockContext } from "./context.js";
import { ChainError, ErrorCode } from "./errors.js";
import { getAuthority, getKCrit, getParams, getSnapshot, getTally, getTiming, isFinalized } from "./keeper.js";
import { keys, voteKeyParts } from "./keys.js";
import { stageSlotHolders } from "./slots.js";
import type { KVStore } from "./store.js";
import { checkAddress } from "./validate.js";

const DEFAULT_LIMIT = 100n;
const MAX_LIMIT = 1000n;
const MAX_U64 = 2n ** 64n - 1n;

interface Codec<T> {
  encode(message: T, writer?: BinaryWriter): BinaryWriter;
  decode(input: BinaryReader | Uint8Array, length?: number): T;
}

type Entry = [Uint8Array, Uint8Array];

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * One page of the entries under prefix (already filtered), like the Cosmos SDK's paginate: either a
 * key (the next_key of the previous page, opaque: the store key after the prefix) or an offset;
 * limit 0 means 100, at most 1000; total only when count_total.
 */
export function paginate<T>(
  prefix: Uint8Array,
  entries: Iterable<Entry>,
  request: PageRequest | undefined,
  codec: Codec<T>,
): { items: T[]; pagination: PageResponse } {
  const req = request ?? { key: new Uint8Array(), offset: 0n, limit: 0n, countTotal: false, reverse: false };
  if (req.key.length > 0 && req.offset > 0n) {
    throw new ChainError(ErrorCode.InvalidField, "pagination takes either a key or an offset, not both", {
      field: "pagination",
    });
  }
  const limit = req.limit === 0n ? DEFAULT_LIMIT : req.limit > MAX_LIMIT ? MAX_LIMIT : req.limit;
  const start = req.key.length > 0 ? concat(prefix, req.key) : undefined;
  const ordered = req.reverse ? [...entries].reverse() : entries;
  const items: T[] = [];
  let nextKey = new Uint8Array();
  let skipped = 0n;
  let total = 0n;
  for (const [key, value] of ordered) {
    total++;
    if (start !== undefined) {
      const c = compareBytes(key, start);
      if (req.reverse ? c > 0 : c < 0) continue;
    } else if (skipped < req.offset) {
      skipped++;
      continue;
    }
    if (BigInt(items.length) < limit) {
      items.push(codec.decode(value));
    } else if (nextKey.length === 0) {
      nextKey = key.slice(prefix.length);
      if (!req.countTotal) break;
    }
  }
  return { items, pagination: { nextKey, total: req.countTotal ? total : 0n } };
}

function* filtered(entries: Iterable<Entry>, keep: (key: Uint8Array) => boolean): Generator<Entry> {
  for (const entry of entries) if (keep(entry[0])) yield entry;
}

function requireStage(timing: StageTiming, stage: bigint): void {
  if (isStageStart(timing, stage)) return;
  const earlier = stageStartAtOrBefore(timing, stage);
  const hint = earlier === undefined ? "" : `; the stage containing it starts at ${earlier}`;
  throw new ChainError(
    ErrorCode.NotAStage,
    `height ${stage} is not a stage start (stages start where height % ${timing.stageLength} == ${timing.stageOffset}${hint})`,
    { stage, field: "stage_height" },
  );
}

function optionalAddress(address: string, field: string): void {
  if (address !== "") checkAddress(address, { field });
}

type Handler = (store: KVStore, ctx: BlockContext, data: Uint8Array) => Uint8Array;

function handler<Req, Res>(
  request: Codec<Req>,
  response: Codec<Res>,
  answer: (store: KVStore, ctx: BlockContext, req: Req) => Res,
): Handler {
  return (store, ctx, data) => {
    let req: Req;
    try {
      req = request.decode(data);
    } catch (e) {
      throw new ChainError(ErrorCode.Undecodable, `the query request does not decode: ${(e as Error).message}`);
    }
    return response.encode(answer(store, ctx, req)).finish();
  };
}

const handlers: Record<string, Handler> = {
  Params: handler(QueryParamsRequest, QueryParamsResponse, (store) => ({
    params: getParams(store),
    timing: getTiming(store),
    authority: getAuthority(store),
    kCrit: getKCrit(store),
  })),

  Stage: handler(QueryStageRequest, QueryStageResponse, (store, ctx, req) => {
    const timing = getTiming(store);
    const stage = req.stageHeight === 0n ? currentStage(timing, ctx.height) : req.stageHeight;
    requireStage(timing, stage);
    const w = stageWindows(timing, stage);
    if (w.validationEnd > MAX_U64) {
      throw new ChainError(ErrorCode.InvalidField, "the stage's windows end beyond the uint64 height range", {
        stage,
        field: "stage_height",
      });
    }
    return {
      stage: {
        stageHeight: stage,
        commitEndHeight: w.commitEnd,
        samplingHeight: w.samplingHeight,
        validationStartHeight: w.validationStart,
        validationEndHeight: w.validationEnd,
        generationSeed: ctx.blockHash(stage) ?? "",
        samplingBlockHash: ctx.blockHash(w.samplingHeight) ?? "",
        finalized: isFinalized(store, stage),
      },
      currentHeight: ctx.height,
    };
  }),

  Participants: handler(QueryParticipantsRequest, QueryParticipantsResponse, (store, _ctx, req) => {
    const prefix = keys.participants();
    const page = paginate(prefix, store.iterate(prefix), req.pagination, Participant);
    return { participants: page.items, pagination: page.pagination };
  }),

  Commitments: handler(QueryCommitmentsRequest, QueryCommitmentsResponse, (store, _ctx, req) => {
    requireStage(getTiming(store), req.stageHeight);
    const prefix = keys.commitments(req.stageHeight);
    const page = paginate(prefix, store.iterate(prefix), req.pagination, Commitment);
    return { commitments: page.items, pagination: page.pagination };
  }),

  Votes: handler(QueryVotesRequest, QueryVotesResponse, (store, _ctx, req) => {
    requireStage(getTiming(store), req.stageHeight);
    optionalAddress(req.participant, "participant");
    optionalAddress(req.validator, "validator");
    const prefix = req.participant ? keys.votesOn(req.stageHeight, req.participant) : keys.votes(req.stageHeight);
    const entries = req.validator
      ? filtered(store.iterate(prefix), (k) => voteKeyParts(k).validator === req.validator)
      : store.iterate(prefix);
    const page = paginate(prefix, entries, req.pagination, VoteRecord);
    return { votes: page.items, pagination: page.pagination };
  }),

  Tally: handler(QueryTallyRequest, QueryTallyResponse, (store, _ctx, req) => {
    const timing = getTiming(store);
    requireStage(timing, req.stageHeight);
    checkAddress(req.participant, { field: "participant" });
    const tally = getTally(store, req.stageHeight, req.participant);
    if (tally !== undefined) return { tally };
    const context = { stage: req.stageHeight, participant: req.participant };
    if (!isFinalized(store, req.stageHeight)) {
      const end = stageWindows(timing, req.stageHeight).validationEnd;
      throw new ChainError(
        ErrorCode.NotFound,
        `no tally yet: it is decided once no vote can change its verdict, at the latest at the end of height ${end}`,
        context,
      );
    }
    throw new ChainError(ErrorCode.NotFound, "no tally: the participant did not commit in this stage", context);
  }),

  Tallies: handler(QueryTalliesRequest, QueryTalliesResponse, (store, _ctx, req) => {
    requireStage(getTiming(store), req.stageHeight);
    const prefix = keys.tallies(req.stageHeight);
    const page = paginate(prefix, store.iterate(prefix), req.pagination, Tally);
    return { tallies: page.items, pagination: page.pagination };
  }),

  Slots: handler(QuerySlotsRequest, QuerySlotsResponse, (store, ctx, req) => {
    const timing = getTiming(store);
    requireStage(timing, req.stageHeight);
    checkAddress(req.participant, { field: "participant" });
    const slots = getParams(store).validationSlots;
    return { slots, holders: slots === 0 ? [] : stageSlotHolders(store, ctx, req.stageHeight, req.participant) };
  }),

  StakeSnapshot: handler(QueryStakeSnapshotRequest, QueryStakeSnapshotResponse, (store, _ctx, req) => {
    requireStage(getTiming(store), req.stageHeight);
    const snapshot = getSnapshot(store, req.stageHeight);
    if (snapshot === undefined) {
      throw new ChainError(ErrorCode.NotFound, "no stake snapshot: it is taken at the stage start height", {
        stage: req.stageHeight,
      });
    }
    return { snapshot };
  }),
};

const QUERY_PREFIX = "/pocval.v1.Query/";

/** The abci_query paths this module answers. */
export const pocvalQueryPaths: readonly string[] = Object.keys(handlers).map((name) => QUERY_PREFIX + name);

/**
 * Answers an abci_query at `/pocval.v1.Query/<Name>`: protobuf request bytes in, response bytes out.
 * ctx is the last committed block. Throws ChainError (NotFound for a missing tally or snapshot).
 * @example QueryParamsResponse.decode(query(store, ctx, "/pocval.v1.Query/Params", new Uint8Array()))
 */
export function query(store: KVStore, ctx: BlockContext, path: string, data: Uint8Array): Uint8Array {
  const name = path.startsWith(QUERY_PREFIX) ? path.slice(QUERY_PREFIX.length) : undefined;
  const answer = name !== undefined && Object.hasOwn(handlers, name) ? handlers[name] : undefined;
  if (answer === undefined) {
    throw new ChainError(
      ErrorCode.UnknownQuery,
      `unknown query path ${path}: pocval answers ${pocvalQueryPaths.join(", ")}`,
    );
  }
  return answer(store, ctx, data);
}
