// Early acceptance in the chain module (protocol version 3, param acceptance_rate): the consistency
// rule of STAT_TEST votes (code 20) with the acceptance line, and version-2 chains unchanged.
import { describe, expect, it } from "vitest";
import { beginBlock, ErrorCode, type KVStore, query } from "../../src/chain/index.js";
import { criticalCountFor } from "../../src/core/index.js";
import { QueryVotesRequest, QueryVotesResponse } from "../../src/gen/pocval/v1/query.js";
import { Verdict } from "../../src/gen/pocval/v1/types.js";
import {
  aVote,
  baseGenesis,
  commit,
  ctxAt,
  expectRejected,
  freshStore,
  p0,
  p1,
  register,
  submitVotes,
  v0,
} from "./helpers.js";

/** A stage-2 chain (k_crit(200) = 8) where p0 committed 500 leaves (n = 200) and p1 50 (n = 50). */
function stage(change: { acceptanceRate?: string; validationSlots?: number }): KVStore {
  const g = baseGenesis();
  g.params = { ...g.params!, ...change };
  const store = freshStore(g);
  beginBlock(store, ctxAt(2n));
  register(store, 2n, p0);
  register(store, 2n, p1);
  commit(store, 2n, p0, 2n, 500n);
  commit(store, 2n, p1, 2n, 50n);
  return store;
}

const votesOf = (store: KVStore, participant: string) =>
  QueryVotesResponse.decode(
    query(
      store,
      ctxAt(14n),
      "/pocval.v1.Query/Votes",
      QueryVotesRequest.encode({ stageHeight: 2n, participant, validator: "", pagination: undefined }).finish(),
    ),
  ).votes;

const honest = (checked: number, mismatches: number) => ({ checked, mismatches, pValue: "0.6" });

describe("early acceptance in the chain (acceptance_rate 0.015: a(100) = 1, a(66) = 0, a(40) = 0)", () => {
  it("accepts an HONEST vote stopped early at or below the line, even with k_crit still reachable", () => {
    const store = stage({ acceptanceRate: "0.015" });
    // 1 + (200 - 100) >= 8 would be rejected by the curtailed rule alone; a(100) = 1 accepts it.
    submitVotes(store, 13n, v0, 2n, [aVote(p0, Verdict.VERDICT_HONEST, honest(100, 1))]);
    // n = min(sample_size, count) = 50 for p1: a(40) = 0, with k_crit(50) reachable in the 10 left.
    expect(criticalCountFor(50, { fpRate: "0.02", alpha: "0.05" })).toBeLessThanOrEqual(10);
    submitVotes(store, 13n, v0, 2n, [aVote(p1, Verdict.VERDICT_HONEST, honest(40, 0))]);
    expect(votesOf(store, p0).map((r) => [r.vote!.checked, r.vote!.mismatches])).toEqual([[100, 1]]);
    expect(votesOf(store, p1).map((r) => [r.vote!.checked, r.vote!.mismatches])).toEqual([[40, 0]]);
  });

  it("still accepts curtailed HONEST and CHEATER votes", () => {
    const store = stage({ acceptanceRate: "0.015" });
    submitVotes(store, 13n, v0, 2n, [
      aVote(p0, Verdict.VERDICT_HONEST, honest(195, 2)),
      aVote(p1, Verdict.VERDICT_CHEATER, { checked: 20, mismatches: 10 }),
    ]);
    expect(votesOf(store, p0)).toHaveLength(1);
  });

  it.each([
    ["one mismatch above the line", Verdict.VERDICT_HONEST, honest(100, 2), "above the acceptance line a(100) = 1"],
    ["the line's floor (a(66) = 0)", Verdict.VERDICT_HONEST, honest(66, 1), "a(66) = 0"],
    ["nothing checked (a(0) = -1)", Verdict.VERDICT_HONEST, honest(0, 0), "a(0) = -1"],
    ["HONEST at k_crit", Verdict.VERDICT_HONEST, honest(199, 8), "at or above k_crit(200) = 8"],
    ["CHEATER below k_crit", Verdict.VERDICT_CHEATER, { checked: 200, mismatches: 7 }, "below k_crit(200) = 8"],
  ] as const)("rejects with InconsistentVote (code 20): %s", (_, verdict, counts, fragment) => {
    const store = stage({ acceptanceRate: "0.015" });
    expectRejected(
      store,
      () => submitVotes(store, 13n, v0, 2n, [aVote(p0, verdict, counts)]),
      ErrorCode.InconsistentVote,
      ["STAT_TEST vote contradicts its verdict", fragment],
    );
    expect(ErrorCode.InconsistentVote).toBe(20);
  });
});

describe("version-2 and version-1 chains (no acceptance_rate) keep today's rule", () => {
  it("with slots, rejects the early HONEST vote that version 3 accepts", () => {
    const store = stage({ validationSlots: 1 });
    const holder = v0;
    const error = expectRejected(
      store,
      () => submitVotes(store, 13n, holder, 2n, [aVote(p0, Verdict.VERDICT_HONEST, honest(100, 1))]),
      ErrorCode.InconsistentVote,
      ["k_crit(200) = 8 is still reachable"],
    );
    expect(error.log).not.toContain("acceptance line");
  });

  it("without slots (version 1), accepts what it accepted before: no consistency rule", () => {
    const store = stage({});
    submitVotes(store, 13n, v0, 2n, [aVote(p0, Verdict.VERDICT_HONEST, honest(100, 1))]);
    expect(votesOf(store, p0)).toHaveLength(1);
  });
});
