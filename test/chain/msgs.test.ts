import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  beginBlock,
  ChainError,
  defaultParams,
  deliverMsg,
  ErrorCode,
  exportGenesis,
  memoryStore,
  pocvalMsgTypeUrls,
  query,
  signerOf,
} from "../../src/chain/index.js";
import { toBase64 } from "../../src/core/index.js";
import type { Params } from "../../src/gen/pocval/v1/params.js";
import { QueryVotesRequest, QueryVotesResponse } from "../../src/gen/pocval/v1/query.js";
import { MsgRegisterParticipant, MsgSubmitVotesResponse, MsgUpdateParams } from "../../src/gen/pocval/v1/tx.js";
import { Reason, Verdict, type Vote } from "../../src/gen/pocval/v1/types.js";
import {
  address,
  attrs,
  authority,
  aVote,
  commit,
  ctxAt,
  dump,
  expectRejected,
  freshStore,
  p0,
  p1,
  p2,
  register,
  root,
  submitVotes,
  v0,
  v1,
} from "./helpers.js";

const registerRaw = (creator: string, pocPublicKey = "key", proofApiUrl = "http://127.0.0.1:9000") =>
  MsgRegisterParticipant.encode({ creator, pocPublicKey, proofApiUrl }).finish();

describe("MsgRegisterParticipant", () => {
  it("registers a participant, then updates its key and URL keeping the first registration height", () => {
    const store = freshStore();
    const first = register(store, 3n, p0);
    expect(first.events.map((e) => [e.type, attrs(e).participant, attrs(e).updated])).toEqual([
      ["pocval.register", p0, "false"],
    ]);
    const again = deliverMsg(
      store,
      ctxAt(9n),
      "/pocval.v1.MsgRegisterParticipant",
      registerRaw(p0, "key2", "https://p0.example:8443"),
    );
    expect(attrs(again.events[0]!)).toMatchObject({ updated: "true", poc_public_key: "key2" });
    expect(exportGenesis(store).participants).toEqual([
      { address: p0, pocPublicKey: "key2", proofApiUrl: "https://p0.example:8443", registeredHeight: 3n },
    ]);
  });

  it.each([
    ["a cosmos1 address", address("x").replace("pocval", "cosmos"), ErrorCode.InvalidAddress, "creator"],
    ["an upper-case address", address("x").toUpperCase(), ErrorCode.InvalidAddress, "creator"],
    ["an address with a broken checksum", `${address("x").slice(0, -1)}q`, ErrorCode.InvalidAddress, "creator"],
  ])("rejects %s as creator", (_name, creator, code, field) => {
    const store = freshStore();
    expectRejected(
      store,
      () => deliverMsg(store, ctxAt(3n), "/pocval.v1.MsgRegisterParticipant", registerRaw(creator)),
      code,
      [`field ${field}`],
    );
  });

  it.each([
    ["an empty poc_public_key", "", "http://127.0.0.1:1", "poc_public_key"],
    ["an over-long poc_public_key", "k".repeat(513), "http://127.0.0.1:1", "poc_public_key"],
    ["a proof_api_url that is not a URL", "key", "not a url", "proof_api_url"],
    ["a proof_api_url that is not http(s)", "key", "ftp://127.0.0.1/", "proof_api_url"],
  ])("rejects %s", (_name, key, url, field) => {
    const store = freshStore();
    expectRejected(
      store,
      () => deliverMsg(store, ctxAt(3n), "/pocval.v1.MsgRegisterParticipant", registerRaw(p0, key, url)),
      ErrorCode.InvalidField,
      [`field ${field}`, `participant ${p0}`],
    );
  });
});

describe("MsgCommitArtifacts", () => {
  const ready = () => {
    const store = freshStore();
    register(store, 1n, p0);
    return store;
  };

  it("accepts commits inside the commit window with strictly increasing counts, one per block", () => {
    const store = ready();
    const result = commit(store, 2n, p0, 2n, 10n, root(1));
    expect(result.events.map((e) => [e.type, attrs(e)])).toEqual([
      ["pocval.commit", { participant: p0, stage_height: "2", count: "10", root_hash: toBase64(root(1)) }],
    ]);
    commit(store, 11n, p0, 2n, 11n, root(2));
    expect(exportGenesis(store).commitments).toEqual([
      { participant: p0, stageHeight: 2n, count: 11n, rootHash: root(2), height: 11n },
    ]);
  });

  it("rejects a commit from an unregistered participant", () => {
    const store = freshStore();
    expectRejected(store, () => commit(store, 2n, p1, 2n, 1n), ErrorCode.NotRegistered, [
      `participant ${p1}`,
      "stage 2",
    ]);
  });

  it.each([
    ["before the window", 1n],
    ["at the sampling block", 12n],
    ["in the validation window", 13n],
  ])("rejects a commit %s", (_name, height) => {
    const store = ready();
    expectRejected(store, () => commit(store, height, p0, 2n, 1n), ErrorCode.OutsideWindow, [
      "heights 2..11",
      `this block is ${height}`,
      "stage 2",
      `participant ${p0}`,
      "field stage_height",
    ]);
  });

  it("rejects a stage_height that is not a stage start", () => {
    const store = ready();
    expectRejected(store, () => commit(store, 3n, p0, 3n, 1n), ErrorCode.NotAStage, ["stage 3", "field stage_height"]);
  });

  it.each([
    ["a 31-byte root", 5n, root(1).slice(0, 31), "root_hash"],
    ["a 33-byte root", 5n, Uint8Array.from([...root(1), 0]), "root_hash"],
    ["count 0", 0n, root(1), "count"],
  ])("rejects %s", (_name, count, rootHash, field) => {
    const store = ready();
    expectRejected(store, () => commit(store, 2n, p0, 2n, count, rootHash), ErrorCode.InvalidField, [
      `field ${field}`,
      "stage 2",
    ]);
  });

  it("rejects a second commit of one participant in one block", () => {
    const store = ready();
    commit(store, 4n, p0, 2n, 10n);
    expectRejected(store, () => commit(store, 4n, p0, 2n, 20n), ErrorCode.OneCommitPerBlock, [
      "block 4",
      `participant ${p0}`,
    ]);
  });

  it.each([
    ["an equal count", 10n],
    ["a smaller count", 9n],
  ])("rejects %s than the previous commit of the stage", (_name, count) => {
    const store = ready();
    commit(store, 4n, p0, 2n, 10n);
    expectRejected(store, () => commit(store, 5n, p0, 2n, count), ErrorCode.CountNotIncreasing, [
      `count ${count} does not exceed the previous commit's count 10`,
      "field count",
    ]);
  });

  it("starts counts afresh in a new stage", () => {
    const store = ready();
    commit(store, 4n, p0, 2n, 10n);
    expect(() => commit(store, 32n, p0, 32n, 1n)).not.toThrow();
  });
});

describe("MsgSubmitVotes", () => {
  // Stage 2: snapshot at 2, commits 2..11, votes 13..24.
  const ready = () => {
    const store = freshStore();
    beginBlock(store, ctxAt(2n));
    for (const p of [p0, p1]) {
      register(store, 2n, p);
      commit(store, 3n, p, 2n, 100n);
    }
    return store;
  };

  it("stores a bonded validator's votes with one event per vote", () => {
    const store = ready();
    const result = submitVotes(store, 13n, v0, 2n, [
      aVote(p0),
      aVote(p1, Verdict.VERDICT_CHEATER, { reason: Reason.REASON_INVALID_PROOF }),
    ]);
    expect(MsgSubmitVotesResponse.decode(result.data).accepted).toBe(2);
    expect(result.events.map((e) => attrs(e))).toEqual([
      expect.objectContaining({
        validator: v0,
        participant: p0,
        stage_height: "2",
        verdict: "VERDICT_HONEST",
        reason: "REASON_STAT_TEST",
      }),
      expect.objectContaining({
        participant: p1,
        verdict: "VERDICT_CHEATER",
        reason: "REASON_INVALID_PROOF",
        p_value: "1e-12",
      }),
    ]);
    expect(result.events.every((e) => e.type === "pocval.vote")).toBe(true);
    const votes = QueryVotesResponse.decode(
      query(
        store,
        ctxAt(14n),
        "/pocval.v1.Query/Votes",
        QueryVotesRequest.encode({ stageHeight: 2n, participant: "", validator: "", pagination: undefined }).finish(),
      ),
    ).votes;
    const expected = [p0, p1].sort().map((p) => [v0, p, 13n]);
    expect(votes.map((v) => [v.validator, v.vote?.participant, v.height])).toEqual(expected);
  });

  it.each([
    ["at the sampling block", 12n],
    ["after the window", 25n],
    ["during the commit window", 11n],
  ])("rejects votes %s", (_name, height) => {
    const store = ready();
    expectRejected(store, () => submitVotes(store, height, v0, 2n, [aVote(p0)]), ErrorCode.OutsideWindow, [
      "heights 13..24",
      `this block is ${height}`,
      `validator ${v0}`,
    ]);
  });

  it("rejects votes from an account outside the stake snapshot", () => {
    const store = ready();
    expectRejected(store, () => submitVotes(store, 13n, p0, 2n, [aVote(p1)]), ErrorCode.NotBonded, [
      `validator ${p0}`,
      "stage 2",
    ]);
  });

  it("rejects votes for a stage without a stake snapshot", () => {
    const store = freshStore();
    register(store, 2n, p0);
    commit(store, 3n, p0, 2n, 5n);
    expectRejected(store, () => submitVotes(store, 13n, v0, 2n, [aVote(p0)]), ErrorCode.NotBonded);
  });

  it("rejects a second vote on the same participant and keeps the first one", () => {
    const store = ready();
    submitVotes(store, 13n, v0, 2n, [aVote(p0, Verdict.VERDICT_HONEST)]);
    const e = expectRejected(
      store,
      () => submitVotes(store, 14n, v0, 2n, [aVote(p1), aVote(p0, Verdict.VERDICT_CHEATER)]),
      ErrorCode.DuplicateVote,
      [`participant ${p0}`, "field votes[1].participant"],
    );
    expect(e.context.validator).toBe(v0);
    // Another validator may still vote on p0.
    expect(() => submitVotes(store, 14n, v1, 2n, [aVote(p0, Verdict.VERDICT_CHEATER)])).not.toThrow();
  });

  it("rejects a vote on a participant without a commitment in the stage, and none of its batch is stored", () => {
    const store = ready();
    expectRejected(store, () => submitVotes(store, 13n, v0, 2n, [aVote(p0), aVote(p2)]), ErrorCode.NoCommitment, [
      `participant ${p2}`,
    ]);
  });

  it("rejects a stage_height that is not a stage start", () => {
    const store = ready();
    expectRejected(store, () => submitVotes(store, 13n, v0, 3n, [aVote(p0)]), ErrorCode.NotAStage, ["stage 3"]);
  });

  const honest = (overrides: Partial<Vote>) => [aVote(p0, Verdict.VERDICT_HONEST, overrides)];
  it.each([
    ["no votes", [], ErrorCode.InvalidField, "field votes"],
    ["the same participant twice", [aVote(p0), aVote(p0)], ErrorCode.InvalidField, "field votes[1].participant"],
    ["an unset verdict", [aVote(p0, Verdict.VERDICT_UNSPECIFIED)], ErrorCode.InvalidField, "field votes[0].verdict"],
    ["an unknown verdict", [aVote(p0, 7 as Verdict)], ErrorCode.InvalidField, "field votes[0].verdict"],
    ["an unknown reason", honest({ reason: 9 as Reason }), ErrorCode.InvalidField, "field votes[0].reason"],
    ["a p_value above 1", honest({ pValue: "1.5" }), ErrorCode.InvalidField, "field votes[0].p_value"],
    ["a p_value that is not a number", honest({ pValue: "abc" }), ErrorCode.InvalidField, "field votes[0].p_value"],
    ["an empty p_value", honest({ pValue: "" }), ErrorCode.InvalidField, "field votes[0].p_value"],
    ["a negative p_value", honest({ pValue: "-0.1" }), ErrorCode.InvalidField, "field votes[0].p_value"],
    [
      "a 31-byte evidence hash",
      honest({ evidenceHash: root(1).slice(1) }),
      ErrorCode.InvalidField,
      "field votes[0].evidence_hash",
    ],
    [
      "more mismatches than checked",
      honest({ checked: 3, mismatches: 4 }),
      ErrorCode.InvalidField,
      "field votes[0].mismatches",
    ],
    ["a bad participant address", [aVote("pocval1xyz")], ErrorCode.InvalidAddress, "field votes[0].participant"],
  ])("rejects a message with %s", (_name, votes, code, fragment) => {
    const store = ready();
    expectRejected(store, () => submitVotes(store, 13n, v0, 2n, votes), code, [fragment, "stage 2", `validator ${v0}`]);
  });

  it("accepts p-values written as plain decimals, with exponents, and the bounds 0 and 1", () => {
    const store = ready();
    for (const [i, pValue] of ["0", "1", "0.049", "1.2e-7"].entries()) {
      const validator = [v0, v1, address("validator-2"), address("validator-3")][i]!;
      expect(() =>
        submitVotes(store, 13n, validator, 2n, [aVote(p0, Verdict.VERDICT_HONEST, { pValue })]),
      ).not.toThrow();
    }
  });
});

describe("MsgUpdateParams", () => {
  const update = (store: ReturnType<typeof freshStore>, sender: string, params: Params | undefined) =>
    deliverMsg(
      store,
      ctxAt(5n),
      "/pocval.v1.MsgUpdateParams",
      MsgUpdateParams.encode({ authority: sender, params }).finish(),
    );

  it("lets the authority replace the params and reports them in an event", () => {
    const store = freshStore();
    const params = { ...defaultParams(), sampleSize: 300, quorumNum: 2n, quorumDen: 3n };
    const result = update(store, authority, params);
    expect(result.events[0]!.type).toBe("pocval.params");
    expect(attrs(result.events[0]!)).toMatchObject({ authority, sample_size: "300", quorum_num: "2", quorum_den: "3" });
  });

  it("refuses anyone else", () => {
    const store = freshStore();
    expectRejected(store, () => update(store, v0, defaultParams()), ErrorCode.Unauthorized, [
      authority,
      "field authority",
    ]);
  });

  it.each([
    ["k_dim 0", { kDim: 0 }, "params.k_dim"],
    ["sample_size 0", { sampleSize: 0 }, "params.sample_size"],
    ["seq_len 0", { seqLen: 0 }, "params.seq_len"],
    ["an empty model", { model: "" }, "params.model"],
    ["fp_rate 0", { fpRate: "0" }, "params.fp_rate"],
    ["fp_rate 1", { fpRate: "1" }, "params.fp_rate"],
    ["alpha 1.5", { alpha: "1.5" }, "params.alpha"],
    ["alpha in exponent form", { alpha: "5e-2" }, "params.alpha"],
    ["dist_threshold 0", { distThreshold: "0" }, "params.dist_threshold"],
    ["a negative dist_threshold", { distThreshold: "-1" }, "params.dist_threshold"],
    ["quorum 3/2", { quorumNum: 3n, quorumDen: 2n }, "params.quorum_num"],
    ["quorum_den 0", { quorumNum: 0n, quorumDen: 0n }, "params.quorum_den"],
    ["acceptance_rate equal to fp_rate", { acceptanceRate: "0.02" }, "params.acceptance_rate"],
    ["acceptance_rate above fp_rate", { acceptanceRate: "0.5" }, "params.acceptance_rate"],
    ["acceptance_rate in exponent form", { acceptanceRate: "1e-3" }, "params.acceptance_rate"],
    ["a negative acceptance_rate", { acceptanceRate: "-0.01" }, "params.acceptance_rate"],
  ])("rejects %s", (_name, change, field) => {
    const store = freshStore();
    expectRejected(store, () => update(store, authority, { ...defaultParams(), ...change }), ErrorCode.InvalidField, [
      `field ${field}`,
    ]);
  });

  it("says what is wrong with an acceptance_rate that is not below fp_rate, and accepts 0 and one below", () => {
    const store = freshStore();
    expectRejected(
      store,
      () => update(store, authority, { ...defaultParams(), acceptanceRate: "0.03" }),
      ErrorCode.InvalidField,
      ["0.03 is not below fp_rate 0.02"],
    );
    for (const acceptanceRate of ["0", "0.015", "0.0199"]) {
      const result = update(store, authority, { ...defaultParams(), acceptanceRate });
      expect(attrs(result.events[0]!)).toMatchObject({ acceptance_rate: acceptanceRate });
    }
  });

  it("accepts quorum 0/1 and 1/1, the ends of the allowed range", () => {
    const store = freshStore();
    expect(() => update(store, authority, { ...defaultParams(), quorumNum: 0n, quorumDen: 1n })).not.toThrow();
    expect(() => update(store, authority, { ...defaultParams(), quorumNum: 1n, quorumDen: 1n })).not.toThrow();
  });

  it("rejects a message without params", () => {
    const store = freshStore();
    expectRejected(store, () => update(store, authority, undefined), ErrorCode.InvalidField, ["params"]);
  });
});

describe("message decoding and routing", () => {
  it("rejects an unknown type URL naming the ones it handles", () => {
    const store = freshStore();
    expectRejected(
      store,
      () => deliverMsg(store, ctxAt(3n), "/cosmos.bank.v1beta1.MsgSend", new Uint8Array()),
      ErrorCode.UnknownMessage,
      ["/cosmos.bank.v1beta1.MsgSend", "/pocval.v1.MsgSubmitVotes"],
    );
    expect(() => signerOf("/x.Msg", new Uint8Array())).toThrow(ChainError);
  });

  it("rejects bytes that are not the message", () => {
    const store = freshStore();
    expectRejected(
      store,
      () => deliverMsg(store, ctxAt(3n), "/pocval.v1.MsgCommitArtifacts", Uint8Array.of(0x0a, 0x10, 0x41)),
      ErrorCode.Undecodable,
      ["MsgCommitArtifacts does not decode"],
    );
  });

  it("names the signer of every message type", () => {
    expect(signerOf("/pocval.v1.MsgRegisterParticipant", registerRaw(p0))).toBe(p0);
    expect(
      signerOf("/pocval.v1.MsgUpdateParams", MsgUpdateParams.encode({ authority, params: undefined }).finish()),
    ).toBe(authority);
    expect(pocvalMsgTypeUrls).toHaveLength(4);
  });

  it("answers a store without genesis with a ChainError", () => {
    const store = memoryStore();
    expect(() => beginBlock(store, ctxAt(2n))).toThrow(/init genesis first/);
  });

  it("turns random bytes of every message type into a ChainError or a valid message, never a crash (property)", () => {
    const store = freshStore();
    register(store, 1n, p0);
    beginBlock(store, ctxAt(2n));
    fc.assert(
      fc.property(
        fc.constantFrom(...pocvalMsgTypeUrls),
        fc.uint8Array({ maxLength: 200 }),
        fc.bigInt(1n, 40n),
        (typeUrl, bytes, height) => {
          const before = dump(store);
          try {
            deliverMsg(store, ctxAt(height), typeUrl, bytes);
          } catch (e) {
            expect(e).toBeInstanceOf(ChainError);
            expect((e as ChainError).code).toBeGreaterThanOrEqual(2);
            expect(dump(store)).toEqual(before);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
