import type { QueryClient } from "@cosmjs/stargate";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import {
  beginBlock,
  ChainError,
  defaultParams,
  defaultTiming,
  ErrorCode,
  endBlock,
  type KVStore,
  pocvalQueryPaths,
  query,
} from "../../src/chain/index.js";
import { setupPocvalExtension } from "../../src/client/index.js";
import {
  QueryCommitmentsRequest,
  QueryCommitmentsResponse,
  QueryParamsResponse,
  QueryParticipantsRequest,
  QueryParticipantsResponse,
  QueryStageRequest,
  QueryStageResponse,
  QueryStakeSnapshotRequest,
  QueryTalliesRequest,
  QueryTalliesResponse,
  QueryTallyRequest,
  QueryTallyResponse,
  QueryVotesRequest,
  QueryVotesResponse,
} from "../../src/gen/pocval/v1/query.js";
import { type PageRequest, Verdict } from "../../src/gen/pocval/v1/types.js";
import {
  address,
  authority,
  aVote,
  commit,
  ctxAt,
  dump,
  fakeHash,
  freshStore,
  p0,
  p1,
  register,
  submitVotes,
  v0,
  v1,
  v2,
  validatorStakes,
} from "./helpers.js";

const page = (p: Partial<PageRequest> = {}): PageRequest => ({
  key: new Uint8Array(),
  offset: 0n,
  limit: 0n,
  countTotal: false,
  reverse: false,
  ...p,
});

const participantsPage = (store: KVStore, p: Partial<PageRequest>) =>
  QueryParticipantsResponse.decode(
    query(
      store,
      ctxAt(30n),
      "/pocval.v1.Query/Participants",
      QueryParticipantsRequest.encode({ pagination: page(p) }).finish(),
    ),
  );

/** The error a query throws. */
function queryError(store: KVStore, path: string, data: Uint8Array, height = 30n): ChainError {
  try {
    query(store, ctxAt(height), path, data);
  } catch (e) {
    if (e instanceof ChainError) return e;
    throw e;
  }
  throw new Error(`${path} answered instead of failing`);
}

const many = Array.from({ length: 1050 }, (_, i) => address(`many-${i}`));
const sortedMany = [...many].sort();

describe("queries", () => {
  let store: KVStore;
  beforeAll(() => {
    store = freshStore();
    for (const p of many) register(store, 1n, p);
    beginBlock(store, ctxAt(2n));
    for (const [i, p] of many.slice(0, 150).entries()) commit(store, 3n, p, 2n, BigInt(i + 1));
    // v0 votes on the first 150, v1 on the first 10, v2 on the first one.
    submitVotes(
      store,
      13n,
      v0,
      2n,
      many.slice(0, 150).map((p) => aVote(p)),
    );
    submitVotes(
      store,
      13n,
      v1,
      2n,
      many.slice(0, 10).map((p) => aVote(p, Verdict.VERDICT_CHEATER)),
    );
    submitVotes(store, 13n, v2, 2n, [aVote(many[0]!, Verdict.VERDICT_CHEATER)]);
  });

  it("answers Params with params, timing and authority", () => {
    const r = QueryParamsResponse.decode(query(store, ctxAt(30n), "/pocval.v1.Query/Params", new Uint8Array()));
    expect(r).toEqual({ params: defaultParams(), timing: defaultTiming(), authority, kCrit: 8 });
  });

  describe("Stage", () => {
    const stage = (height: bigint, stageHeight: bigint) =>
      QueryStageResponse.decode(
        query(store, ctxAt(height), "/pocval.v1.Query/Stage", QueryStageRequest.encode({ stageHeight }).finish()),
      );

    it("answers stage_height 0 with the stage containing the current height, seeds known so far", () => {
      expect(stage(15n, 0n)).toEqual({
        stage: {
          stageHeight: 2n,
          commitEndHeight: 11n,
          samplingHeight: 12n,
          validationStartHeight: 13n,
          validationEndHeight: 24n,
          generationSeed: fakeHash(2n),
          samplingBlockHash: fakeHash(12n),
          finalized: false,
        },
        currentHeight: 15n,
      });
      expect(stage(8n, 0n).stage).toMatchObject({
        stageHeight: 2n,
        generationSeed: fakeHash(2n),
        samplingBlockHash: "",
      });
      expect(stage(1n, 0n).stage).toMatchObject({ stageHeight: 2n, generationSeed: "", samplingBlockHash: "" });
      expect(stage(40n, 0n).stage).toMatchObject({ stageHeight: 32n, validationEndHeight: 54n });
    });

    it("answers a named future stage with empty seeds, and refuses a height that is not a stage start", () => {
      expect(stage(15n, 62n).stage).toMatchObject({ stageHeight: 62n, generationSeed: "", samplingBlockHash: "" });
      const e = queryError(store, "/pocval.v1.Query/Stage", QueryStageRequest.encode({ stageHeight: 40n }).finish());
      expect(e.code).toBe(ErrorCode.NotAStage);
      expect(e.log).toContain("the stage containing it starts at 32");
    });
  });

  describe("pagination", () => {
    it("pages through all participants with next_key, 100 by default, in address order", () => {
      const seen: string[] = [];
      let key: Uint8Array = new Uint8Array();
      let pages = 0;
      do {
        const r = participantsPage(store, { key });
        expect(r.participants.length).toBeLessThanOrEqual(100);
        seen.push(...r.participants.map((p) => p.address));
        key = r.pagination!.nextKey;
        pages++;
      } while (key.length > 0);
      expect(pages).toBe(11);
      expect(seen).toEqual(sortedMany);
    });

    it("caps the limit at 1000, counts the total on request, honours offset and reverse", () => {
      const capped = participantsPage(store, { limit: 5000n, countTotal: true });
      expect(capped.participants).toHaveLength(1000);
      expect(capped.pagination!.total).toBe(1050n);
      expect(participantsPage(store, { limit: 5000n }).pagination!.total).toBe(0n);
      const tail = participantsPage(store, { offset: 1040n, limit: 20n });
      expect(tail.participants.map((p) => p.address)).toEqual(sortedMany.slice(1040));
      expect(tail.pagination!.nextKey).toHaveLength(0);
      const reversed = participantsPage(store, { reverse: true, limit: 3n });
      expect(reversed.participants.map((p) => p.address)).toEqual(sortedMany.slice(-3).reverse());
      const next = participantsPage(store, { reverse: true, limit: 3n, key: reversed.pagination!.nextKey });
      expect(next.participants.map((p) => p.address)).toEqual(sortedMany.slice(-6, -3).reverse());
    });

    it("refuses a key and an offset together", () => {
      const first = participantsPage(store, { limit: 2n });
      const e = queryError(
        store,
        "/pocval.v1.Query/Participants",
        QueryParticipantsRequest.encode({ pagination: page({ key: first.pagination!.nextKey, offset: 1n }) }).finish(),
      );
      expect(e.log).toContain("either a key or an offset");
    });
  });

  it("lists a stage's commitments", () => {
    const r = QueryCommitmentsResponse.decode(
      query(
        store,
        ctxAt(30n),
        "/pocval.v1.Query/Commitments",
        QueryCommitmentsRequest.encode({ stageHeight: 2n, pagination: page({ limit: 1000n }) }).finish(),
      ),
    );
    expect(r.commitments).toHaveLength(150);
    expect(r.commitments.map((c) => c.participant)).toEqual([...many.slice(0, 150)].sort());
    const none = QueryCommitmentsResponse.decode(
      query(
        store,
        ctxAt(30n),
        "/pocval.v1.Query/Commitments",
        QueryCommitmentsRequest.encode({ stageHeight: 32n, pagination: undefined }).finish(),
      ),
    );
    expect(none.commitments).toEqual([]);
  });

  it("filters votes by participant, by validator and by both", () => {
    const votes = (participant: string, validator: string, p: Partial<PageRequest> = {}) =>
      QueryVotesResponse.decode(
        query(
          store,
          ctxAt(30n),
          "/pocval.v1.Query/Votes",
          QueryVotesRequest.encode({ stageHeight: 2n, participant, validator, pagination: page(p) }).finish(),
        ),
      );
    const first = many[0]!;
    expect(
      votes(first, "")
        .votes.map((v) => v.validator)
        .sort(),
    ).toEqual([v0, v1, v2].sort());
    expect(votes("", v1, { limit: 1000n }).votes.map((v) => v.vote!.participant)).toEqual(
      [...many.slice(0, 10)].sort(),
    );
    expect(votes(first, v2).votes.map((v) => [v.validator, v.vote!.verdict])).toEqual([[v2, Verdict.VERDICT_CHEATER]]);
    expect(votes("", "", { countTotal: true }).pagination!.total).toBe(161n);
    // Paging a validator filter: 4 pages of 3 cover v1's 10 votes.
    const seen: string[] = [];
    let key: Uint8Array = new Uint8Array();
    do {
      const r = votes("", v1, { key, limit: 3n });
      seen.push(...r.votes.map((v) => v.vote!.participant));
      key = r.pagination!.nextKey;
    } while (key.length > 0);
    expect(seen).toEqual([...many.slice(0, 10)].sort());
  });

  it("answers Tally with NotFound before the tally is decided, then the decided tally, then the final one", () => {
    const tallyQuery = (s: KVStore, participant: string) =>
      query(
        s,
        ctxAt(30n),
        "/pocval.v1.Query/Tally",
        QueryTallyRequest.encode({ stageHeight: 2n, participant }).finish(),
      );
    const local = freshStore();
    register(local, 1n, p0);
    beginBlock(local, ctxAt(2n));
    commit(local, 3n, p0, 2n, 7n);
    const early = queryError(
      local,
      "/pocval.v1.Query/Tally",
      QueryTallyRequest.encode({ stageHeight: 2n, participant: p0 }).finish(),
    );
    expect(early.code).toBe(ErrorCode.NotFound);
    expect(early.log).toContain("decided once no vote can change its verdict, at the latest at the end of height 24");
    expect(early.log).toContain(`participant ${p0}`);
    // v0 and v1 hold 70 of 100: their CHEATER votes decide the tally before the window ends.
    submitVotes(local, 13n, v0, 2n, [aVote(p0, Verdict.VERDICT_CHEATER)]);
    submitVotes(local, 14n, v1, 2n, [aVote(p0, Verdict.VERDICT_CHEATER)]);
    const decided = QueryTallyResponse.decode(tallyQuery(local, p0)).tally!;
    expect([decided.convicted, decided.decidedHeight, decided.isFinal]).toEqual([true, 14n, false]);
    endBlock(local, ctxAt(24n));
    const final = QueryTallyResponse.decode(tallyQuery(local, p0)).tally!;
    expect([final.convicted, final.decidedHeight, final.isFinal]).toEqual([true, 14n, true]);
    const absent = queryError(
      local,
      "/pocval.v1.Query/Tally",
      QueryTallyRequest.encode({ stageHeight: 2n, participant: p1 }).finish(),
    );
    expect([absent.code, absent.log]).toEqual([ErrorCode.NotFound, expect.stringContaining("did not commit")]);
  });

  it("answers StakeSnapshot, and NotFound for a stage not yet started", async () => {
    const ext = setupPocvalExtension(abciOver(store, 30n)).pocval;
    await expect(ext.stakeSnapshot(2n)).resolves.toMatchObject({ stageHeight: 2n, totalStake: "100" });
    const e = queryError(
      store,
      "/pocval.v1.Query/StakeSnapshot",
      QueryStakeSnapshotRequest.encode({ stageHeight: 62n }).finish(),
    );
    expect([e.code, e.log]).toEqual([ErrorCode.NotFound, expect.stringContaining("no stake snapshot")]);
  });

  it("refuses unknown paths and request bytes that do not decode", () => {
    const unknown = queryError(store, "/pocval.v1.Query/Nope", new Uint8Array());
    expect(unknown.code).toBe(ErrorCode.UnknownQuery);
    expect(unknown.log).toContain("/pocval.v1.Query/Tallies");
    expect(queryError(store, "/pocval.v1.Query/toString", new Uint8Array()).code).toBe(ErrorCode.UnknownQuery);
    expect(queryError(store, "/pocval.v1.Query/Votes", Uint8Array.of(0x12, 0x05, 0x61)).code).toBe(
      ErrorCode.Undecodable,
    );
    expect(pocvalQueryPaths).toHaveLength(9);
  });

  it("answers random request bytes on every path with a response or a ChainError, never a crash (property)", () => {
    const before = dump(store);
    fc.assert(
      fc.property(
        fc.constantFrom(...pocvalQueryPaths),
        fc.uint8Array({ maxLength: 80 }),
        fc.bigInt(1n, 1000n),
        (path, bytes, height) => {
          try {
            expect(query(store, ctxAt(height), path, bytes)).toBeInstanceOf(Uint8Array);
          } catch (e) {
            expect(e).toBeInstanceOf(ChainError);
          }
        },
      ),
      { numRuns: 400 },
    );
    // The last stage start below 2^64 has windows past the uint64 range; the one before fits.
    const overflowing = queryError(
      store,
      "/pocval.v1.Query/Stage",
      QueryStageRequest.encode({ stageHeight: 2n ** 64n - 14n }).finish(),
    );
    expect([overflowing.code, overflowing.log]).toEqual([ErrorCode.InvalidField, expect.stringContaining("uint64")]);
    const fitting = query(
      store,
      ctxAt(30n),
      "/pocval.v1.Query/Stage",
      QueryStageRequest.encode({ stageHeight: 2n ** 64n - 44n }).finish(),
    );
    expect(QueryStageResponse.decode(fitting).stage!.validationEndHeight).toBe(2n ** 64n - 22n);
    expect(dump(store)).toEqual(before);
  });

  it("serves cosmjs's query extension (src/client) end to end through the protobuf service", async () => {
    const local = freshStore();
    register(local, 1n, p0);
    beginBlock(local, ctxAt(2n));
    commit(local, 3n, p0, 2n, 7n);
    submitVotes(local, 13n, v0, 2n, [aVote(p0, Verdict.VERDICT_CHEATER)]);
    endBlock(local, ctxAt(24n));
    const ext = setupPocvalExtension(abciOver(local, 25n)).pocval;
    expect((await ext.params()).authority).toBe(authority);
    expect((await ext.stage()).stage.finalized).toBe(true);
    expect((await ext.participants()).map((p) => p.address)).toEqual([p0]);
    expect(await ext.commitments(2n)).toHaveLength(1);
    expect(await ext.votes(2n, { validator: v0 })).toHaveLength(1);
    expect(await ext.tally(2n, p0)).toMatchObject({ cheaterStake: "40", convicted: false, weight: 7n });
    expect((await ext.tallies(2n)).map((t) => t.participant)).toEqual([p0]);
    expect((await ext.stakeSnapshot(2n)).validators).toHaveLength(validatorStakes.length);
    const talliesPage = QueryTalliesResponse.decode(
      query(
        local,
        ctxAt(25n),
        "/pocval.v1.Query/Tallies",
        QueryTalliesRequest.encode({ stageHeight: 2n, pagination: undefined }).finish(),
      ),
    );
    expect(talliesPage.tallies).toHaveLength(1);
    expect(() =>
      query(
        local,
        ctxAt(25n),
        "/pocval.v1.Query/StakeSnapshot",
        QueryStakeSnapshotRequest.encode({ stageHeight: 3n }).finish(),
      ),
    ).toThrow(ChainError);
  });
});

/** The part of cosmjs's QueryClient that createProtobufRpcClient uses, answered by the module's query. */
function abciOver(store: KVStore, height: bigint): QueryClient {
  const queryAbci = async (path: string, data: Uint8Array) => ({
    value: query(store, ctxAt(height), path, data),
    height: Number(height),
  });
  return { queryAbci } as unknown as QueryClient;
}
