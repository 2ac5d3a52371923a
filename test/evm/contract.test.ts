import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultParams } from "../../src/chain/index.js";
import { slotHolders, tallyDecision, tallyParticipant } from "../../src/core/index.js";
import { kCritTable, paramsTuple, sortedStakes } from "../../src/evm/index.js";
import { Reason, Verdict } from "../../src/gen/pocval/v1/types.js";
import { type Harness, startHarness } from "./harness.js";

// Differential test: random registrations, commits and votes on a real anvil give the same tallies
// from the contract as from core's tally, and every rejected call reverts with a named custom error
// and changes nothing.

const ACCOUNTS = 12; // 0 governs, 1..11 are validators and/or participants; ACCOUNTS never registers
const TIMING = { stageLength: 40n, stageOffset: 3n, commitWindow: 4n, validationWindow: 4n };
const SAMPLE_SIZE = 20;
const PARAMS = { ...defaultParams(), sampleSize: SAMPLE_SIZE };
const K_CRIT = kCritTable(PARAMS);
const ZERO32 = new Uint8Array(32);

let h: Harness;

beforeAll(async () => {
  h = await startHarness(ACCOUNTS + 1, TIMING);
  const gov = h.wallets[0]!;
  const hashes = [await h.send(gov, "setParams", paramsTuple(PARAMS), K_CRIT)];
  for (let i = 1; i < ACCOUNTS; i++) {
    hashes.push(await h.send(h.wallets[i]!, "register", new TextEncoder().encode(`poc-key-${i}`), `http://p${i}.test`));
  }
  await h.mine();
  for (const hash of hashes) expect((await h.outcome(hash)).ok).toBe(true);
}, 120_000);

afterAll(async () => {
  await h?.close();
});

interface VoteChoice {
  verdict: Verdict;
  statTest: boolean;
  reason: Reason;
  pick: number;
  pick2: number;
}

const voteChoice: fc.Arbitrary<VoteChoice> = fc.record({
  verdict: fc.constantFrom(Verdict.VERDICT_HONEST, Verdict.VERDICT_CHEATER),
  statTest: fc.boolean(),
  reason: fc.constantFrom(
    Reason.REASON_UNSPECIFIED,
    Reason.REASON_INVALID_PROOF,
    Reason.REASON_BAD_NONCE,
    Reason.REASON_BAD_VECTOR,
    Reason.REASON_UNAVAILABLE,
  ),
  pick: fc.nat(1000),
  pick2: fc.nat(1000),
});

/** A vote tuple whose STAT_TEST numbers agree with its verdict (version 2's consistency rule). */
function consistentVote(participant: string, count: bigint, c: VoteChoice) {
  const n = Math.min(SAMPLE_SIZE, Number(count));
  const k = K_CRIT[n - 1]!;
  let reason = c.statTest ? Reason.REASON_STAT_TEST : c.reason;
  let checked = 0;
  let mismatches = 0;
  if (reason === Reason.REASON_STAT_TEST) {
    if (c.verdict === Verdict.VERDICT_CHEATER) {
      if (k > n) reason = Reason.REASON_INVALID_PROOF;
      else {
        mismatches = k + (c.pick % (n - k + 1));
        checked = mismatches + (c.pick2 % (n - mismatches + 1));
      }
    } else {
      mismatches = c.pick % k; // 0 .. k-1
      const slack = k - 1 - mismatches; // n - checked may be at most this
      checked = n - (c.pick2 % (Math.min(slack, n - mismatches) + 1));
    }
  }
  const pValueE18 = c.verdict === Verdict.VERDICT_CHEATER ? 10n ** 15n : 10n ** 18n;
  return { participant, verdict: c.verdict, reason, checked, mismatches, pValueE18, evidenceHash: ZERO32 };
}

const stageCase = fc.record({
  stakes: fc.array(fc.bigInt(0n, 10n ** 24n), { minLength: ACCOUNTS - 1, maxLength: ACCOUNTS - 1 }),
  validators: fc.uniqueArray(fc.integer({ min: 1, max: ACCOUNTS - 1 }), { minLength: 1, maxLength: ACCOUNTS - 1 }),
  participants: fc.uniqueArray(fc.integer({ min: 1, max: ACCOUNTS - 1 }), { minLength: 1, maxLength: 5 }),
  counts: fc.array(fc.tuple(fc.bigInt(1n, 40n), fc.option(fc.bigInt(1n, 30n))), { minLength: 5, maxLength: 5 }),
  votes: fc.array(fc.option(voteChoice, { freq: 2 }), {
    minLength: (ACCOUNTS - 1) * 5,
    maxLength: (ACCOUNTS - 1) * 5,
  }),
  quorum: fc.integer({ min: 1, max: 10 }).chain((den) => fc.tuple(fc.integer({ min: 0, max: den }), fc.constant(den))),
});

describe("PocvalTally on anvil", () => {
  it("tallies random stages exactly as core's tally does (fast-check, 100 stages of up to 5 participants)", async () => {
    await fc.assert(
      fc.asyncProperty(stageCase, async (c) => {
        const gov = h.wallets[0]!;
        const address = (i: number) => h.wallets[i]!.address;
        const stakes = c.validators.map((i) => ({ validator: address(i), stake: c.stakes[i - 1]! }));
        const sorted = sortedStakes(stakes);
        const [qNum, qDen] = c.quorum;
        const params = { ...PARAMS, quorumNum: BigInt(qNum), quorumDen: BigInt(qDen) };
        // Sends of one block go out together (ethers batches them into one JSON-RPC request).
        const hashes: Promise<string>[] = [];
        hashes.push(h.send(gov, "setStakes", sorted.validators, sorted.stakes));
        hashes.push(h.send(gov, "setParams", paramsTuple(params), K_CRIT));
        await Promise.all(hashes);
        await h.mine();
        const stage = await h.nextStage();
        await h.mineUntil(stage - 1n);
        const finalCount = new Map<number, bigint>();
        for (const [j, p] of c.participants.entries()) finalCount.set(p, c.counts[j]![0]);
        for (const p of c.participants) hashes.push(h.send(h.wallets[p]!, "commit", stage, finalCount.get(p)!, ZERO32));
        await Promise.all(hashes);
        await h.mine();
        for (const [j, p] of c.participants.entries()) {
          const more = c.counts[j]![1];
          if (more === null) continue;
          finalCount.set(p, finalCount.get(p)! + more);
          hashes.push(h.send(h.wallets[p]!, "commit", stage, finalCount.get(p)!, ZERO32));
        }
        await Promise.all(hashes);
        await h.mine();
        await h.mineUntil(stage + TIMING.commitWindow);
        const cast = new Map<number, { validator: string; verdict: Verdict }[]>();
        for (const v of c.validators) {
          const batch = [];
          for (const [j, p] of c.participants.entries()) {
            const choice = c.votes[(v - 1) * 5 + j];
            if (choice === null || choice === undefined || p === v) continue;
            batch.push(consistentVote(address(p), finalCount.get(p)!, choice));
            cast.set(p, [...(cast.get(p) ?? []), { validator: address(v), verdict: choice.verdict }]);
          }
          if (batch.length > 0) hashes.push(h.send(h.wallets[v]!, "submitVotes", stage, batch));
        }
        await Promise.all(hashes);
        await h.mine();
        // Decided tallies: every vote landed in this block; decided here iff core decides on them all.
        const voteBlock = await h.blockNumber();
        const decidedHeight = (p: number) => h.tally.contract.getFunction("decidedHeight")(stage, address(p));
        const early = await Promise.all(c.participants.map(decidedHeight));
        await h.mineUntil(stage + TIMING.commitWindow + TIMING.validationWindow + 1n);
        const late = await Promise.all(c.participants.map(decidedHeight));
        const outcomes = await Promise.all((await Promise.all(hashes)).map((hash) => h.outcome(hash)));
        for (const outcome of outcomes) expect(outcome).toMatchObject({ ok: true });
        const tallies = await Promise.all(c.participants.map((p) => h.tally.tally(stage, address(p))));
        for (const [j, p] of c.participants.entries()) {
          const got = tallies[j];
          const want = tallyParticipant({
            participant: address(p),
            count: finalCount.get(p)!,
            stakes,
            votes: cast.get(p) ?? [],
            quorum: { num: BigInt(qNum), den: BigInt(qDen) },
          });
          expect(got).toEqual({
            count: finalCount.get(p)!,
            cheaterStake: want.cheaterStake,
            honestStake: want.honestStake,
            totalStake: want.totalStake,
            convicted: want.convicted,
            isFinal: true,
          });
          const self = stakes.find((x) => x.validator === address(p))?.stake ?? 0n;
          const decision = tallyDecision(
            { total: want.totalStake, cheater: want.cheaterStake, honest: want.honestStake, uncountable: self },
            { num: BigInt(qNum), den: BigInt(qDen) },
          );
          if (decision !== undefined) expect(decision === "convicted").toBe(want.convicted);
          // The contract decides on a vote: a tally nobody voted on is decided by the window's end.
          const decidedByVote = decision !== undefined && (cast.get(p)?.length ?? 0) > 0;
          expect(early[j]).toBe(decidedByVote ? voteBlock : 0n);
          expect(late[j]).toBe(decidedByVote ? voteBlock : stage + TIMING.commitWindow + TIMING.validationWindow);
        }
      }),
      { numRuns: 100 },
    );
  }, 900_000);

  it("rejects every invalid call with its named custom error and changes nothing (fast-check)", async () => {
    const gov = h.wallets[0]!;
    const w = (i: number) => h.wallets[i]!;
    const [A, B, C, V2, V3, U] = [1, 4, 5, 2, 3, ACCOUNTS].map(w);
    const sorted = sortedStakes([
      { validator: A!.address, stake: 50n },
      { validator: V2!.address, stake: 30n },
      { validator: V3!.address, stake: 20n },
    ]);
    const setup = [
      h.send(gov, "setStakes", sorted.validators, sorted.stakes),
      h.send(gov, "setParams", paramsTuple(PARAMS), K_CRIT),
    ];
    await Promise.all(setup);
    await h.mine();
    const vote = (participant: string, over: Partial<ReturnType<typeof consistentVote>> = {}) => ({
      participant,
      verdict: Verdict.VERDICT_CHEATER,
      reason: Reason.REASON_UNAVAILABLE,
      checked: 0,
      mismatches: 0,
      pValueE18: 0n,
      evidenceHash: ZERO32,
      ...over,
    });
    type Action = {
      phase: "commit" | "vote" | "late";
      expected: string;
      send: (S: bigint, pick: number) => Promise<string>[];
    };
    const actions: Record<string, Action> = {
      commitNotAStage: {
        phase: "commit",
        expected: "NotAStage",
        send: (S) => [h.send(A!, "commit", S + 1n, 11n, ZERO32)],
      },
      commitUnregistered: {
        phase: "commit",
        expected: "NotRegistered",
        send: (S) => [h.send(U!, "commit", S, 5n, ZERO32)],
      },
      commitNotIncreasing: {
        phase: "commit",
        expected: "CountNotIncreasing",
        send: (S, pick) => [h.send(A!, "commit", S, BigInt(10 - (pick % 10)), ZERO32)],
      },
      commitEmpty: { phase: "commit", expected: "EmptyCommit", send: (S) => [h.send(A!, "commit", S, 0n, ZERO32)] },
      commitTwiceInBlock: {
        phase: "commit",
        expected: "OneCommitPerBlock",
        send: (S) => [h.send(A!, "commit", S, 11n, ZERO32), h.send(A!, "commit", S, 12n, ZERO32)],
      },
      voteTooEarly: {
        phase: "commit",
        expected: "OutsideValidationWindow",
        send: (S) => [h.send(V2!, "submitVotes", S, [vote(B!.address)])],
      },
      commitTooLate: {
        phase: "vote",
        expected: "OutsideCommitWindow",
        send: (S) => [h.send(B!, "commit", S, 31n, ZERO32)],
      },
      voteNotBonded: {
        phase: "vote",
        expected: "NotBonded",
        send: (S) => [h.send(B!, "submitVotes", S, [vote(A!.address)])],
      },
      voteSelf: {
        phase: "vote",
        expected: "SelfVote",
        send: (S) => [h.send(A!, "submitVotes", S, [vote(A!.address)])],
      },
      voteNoCommitment: {
        phase: "vote",
        expected: "NoCommitment",
        send: (S) => [h.send(V2!, "submitVotes", S, [vote(C!.address)])],
      },
      voteDuplicate: {
        phase: "vote",
        expected: "DuplicateVote",
        send: (S) => [h.send(V3!, "submitVotes", S, [vote(B!.address, { verdict: Verdict.VERDICT_HONEST })])],
      },
      voteDuplicateInBatch: {
        phase: "vote",
        expected: "DuplicateVote",
        send: (S) => [h.send(V2!, "submitVotes", S, [vote(A!.address), vote(B!.address), vote(A!.address)])],
      },
      voteBadVerdict: {
        phase: "vote",
        expected: "InvalidVote",
        send: (S, pick) => [
          h.send(V2!, "submitVotes", S, [vote(A!.address, { verdict: pick % 2 === 0 ? 0 : 3 + (pick % 200) })]),
        ],
      },
      voteBadReason: {
        phase: "vote",
        expected: "InvalidVote",
        send: (S, pick) => [h.send(V2!, "submitVotes", S, [vote(A!.address, { reason: 6 + (pick % 200) })])],
      },
      voteInconsistentCheater: {
        phase: "vote",
        expected: "InconsistentStatTest",
        // A committed 10 leaves: n = 10; a CHEATER STAT_TEST vote needs k_crit(10) mismatches.
        send: (S, pick) => [
          h.send(V2!, "submitVotes", S, [
            vote(A!.address, { reason: Reason.REASON_STAT_TEST, checked: 10, mismatches: pick % K_CRIT[9]! }),
          ]),
        ],
      },
      voteInconsistentHonest: {
        phase: "vote",
        expected: "InconsistentStatTest",
        send: (S, pick) => [
          h.send(V2!, "submitVotes", S, [
            vote(A!.address, {
              verdict: Verdict.VERDICT_HONEST,
              reason: Reason.REASON_STAT_TEST,
              checked: 10 - (pick % 3),
              mismatches: K_CRIT[9]! - (pick % 3),
            }),
          ]),
        ],
      },
      voteCheckedBeyondN: {
        phase: "vote",
        expected: "InconsistentStatTest",
        send: (S) => [
          h.send(V2!, "submitVotes", S, [
            vote(A!.address, { verdict: Verdict.VERDICT_HONEST, reason: Reason.REASON_STAT_TEST, checked: 11 }),
          ]),
        ],
      },
      voteEmpty: { phase: "vote", expected: "EmptyVotes", send: (S) => [h.send(V2!, "submitVotes", S, [])] },
      votePValueAboveOne: {
        phase: "vote",
        expected: "InvalidVote",
        send: (S, pick) => [
          h.send(V2!, "submitVotes", S, [vote(A!.address, { pValueE18: 10n ** 18n + 1n + BigInt(pick) })]),
        ],
      },
      voteMismatchesAboveChecked: {
        phase: "vote",
        expected: "InvalidVote",
        send: (S, pick) => [
          h.send(V2!, "submitVotes", S, [vote(A!.address, { checked: pick % 5, mismatches: (pick % 5) + 1 })]),
        ],
      },
      stakesNotGovernance: {
        phase: "vote",
        expected: "NotGovernance",
        send: () => [h.send(V2!, "setStakes", sorted.validators, sorted.stakes)],
      },
      stakesUnsorted: {
        phase: "vote",
        expected: "InvalidStakes",
        send: () => [h.send(gov, "setStakes", [...sorted.validators].reverse(), sorted.stakes)],
      },
      paramsBadKCrit: {
        phase: "vote",
        expected: "InvalidParams",
        send: (_, pick) => [
          h.send(
            gov,
            "setParams",
            paramsTuple(PARAMS),
            pick % 2 === 0 ? K_CRIT.slice(1) : K_CRIT.map((k, i) => (i === 5 ? k + 3 : k)),
          ),
        ],
      },
      voteTooLate: {
        phase: "late",
        expected: "OutsideValidationWindow",
        send: (S) => [h.send(V2!, "submitVotes", S, [vote(A!.address)])],
      },
    };
    const views = async (S: bigint) => {
      const c = h.tally.contract;
      return Promise.all([
        ...[A, B, C].flatMap((p) => [
          c.getFunction("tally")(S, p!.address),
          c.getFunction("tallyCounts")(S, p!.address),
          c.getFunction("commitmentOf")(S, p!.address),
        ]),
        ...[A, B].flatMap((p) => [V2, V3].map((v) => c.getFunction("voteOf")(S, v!.address, p!.address))),
        c.getFunction("stakesCount")(),
        c.getFunction("paramsCount")(),
      ]).then((all) =>
        // isFinal (the tally's last field) follows the block number, not state: left out.
        JSON.stringify(
          all.map((r, i) => (i % 3 === 0 && i < 9 ? [...r].slice(0, 5) : r)),
          (_, v) => (typeof v === "bigint" ? v.toString() : v),
        ),
      );
    };
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...Object.keys(actions)), fc.nat(10_000), async (name, pick) => {
        const action = actions[name]!;
        const S = await h.nextStage();
        await h.mineUntil(S - 1n);
        await Promise.all([h.send(A!, "commit", S, 10n, ZERO32), h.send(B!, "commit", S, 30n, ZERO32)]);
        await h.mine();
        if (action.phase !== "commit") {
          await h.mineUntil(S + TIMING.commitWindow);
          await h.send(V3!, "submitVotes", S, [vote(B!.address, { reason: Reason.REASON_INVALID_PROOF })]);
          await h.mine();
        }
        if (action.phase === "late") await h.mineUntil(S + TIMING.commitWindow + TIMING.validationWindow);
        const before = await views(S);
        const hashes = await Promise.all(action.send(S, pick));
        await h.mine();
        const last = await h.outcome(hashes.at(-1)!);
        expect(last).toMatchObject({ ok: false, error: action.expected });
        if (name === "commitTwiceInBlock") {
          expect((await h.outcome(hashes[0]!)).ok).toBe(true);
          const [count] = await h.tally.contract.getFunction("commitmentOf")(S, A!.address);
          expect(count).toBe(11n);
        } else {
          expect(await views(S)).toBe(before);
        }
      }),
      { numRuns: 100 },
    );
  }, 900_000);

  it("assigns validation slots as docs/protocol.md draws them, refuses votes without a slot, counts slots (fast-check)", async () => {
    const gov = h.wallets[0]!;
    const slots = 7;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.bigInt(0n, 10n ** 12n), { minLength: 6, maxLength: 6 }),
        fc.array(fc.constantFrom(Verdict.VERDICT_HONEST, Verdict.VERDICT_CHEATER), { minLength: 6, maxLength: 6 }),
        async (stakeList, verdicts) => {
          fc.pre(stakeList.slice(1).some((x) => x > 0n));
          const validators = [1, 2, 3, 6, 7, 8].map((i, j) => ({
            validator: h.wallets[i]!.address,
            stake: stakeList[j]!,
          }));
          const sorted = sortedStakes(validators);
          const params = { ...PARAMS, validationSlots: slots };
          await Promise.all([
            h.send(gov, "setStakes", sorted.validators, sorted.stakes),
            h.send(gov, "setParams", paramsTuple(params), K_CRIT),
          ]);
          await h.mine();
          const S = await h.nextStage();
          await h.mineUntil(S - 1n);
          const participant = h.wallets[1]!; // also a validator: excluded from its own draw
          await h.send(participant, "commit", S, 50n, ZERO32);
          await h.mine();
          // The EVM exposes a block's hash only to later blocks: read slots once the sampling block has a successor.
          await h.mineUntil(S + TIMING.commitWindow + 1n);
          const samplingHash = (await h.provider.getBlock(S + TIMING.commitWindow))!.hash!.slice(2);
          // core's slot draw over the lower-case 0x addresses the EVM binding seeds with.
          const want = new Map(
            slotHolders({
              stageHeight: S,
              samplingBlockHash: samplingHash,
              participantAddress: participant.address.toLowerCase(),
              stakes: validators.map((v) => ({ validator: v.validator.toLowerCase(), stake: v.stake })),
              slots,
            }).map((x) => [x.validator, x.slots]),
          );
          const sends = [];
          for (const [j, v] of validators.entries()) {
            if (j === 0) continue;
            const held = await h.tally.contract.getFunction("slotsOf")(S, v.validator, participant.address);
            expect(Number(held), v.validator).toBe(want.get(v.validator.toLowerCase()) ?? 0);
            const vote = {
              ...consistentVote(participant.address, 50n, {
                verdict: verdicts[j]!,
                statTest: false,
                reason: Reason.REASON_UNAVAILABLE,
                pick: 0,
                pick2: 0,
              }),
            };
            const wallet = h.wallets.find((w) => w.address === v.validator)!;
            sends.push({
              held: Number(held),
              verdict: verdicts[j]!,
              hash: await h.send(wallet, "submitVotes", S, [vote]),
            });
          }
          await h.mine();
          let cheaterSlots = 0;
          let honestSlots = 0;
          for (const sent of sends) {
            const outcome = await h.outcome(sent.hash);
            if (sent.held === 0) expect(outcome).toMatchObject({ ok: false, error: "NoSlot" });
            else {
              expect(outcome.ok).toBe(true);
              if (sent.verdict === Verdict.VERDICT_CHEATER) cheaterSlots += sent.held;
              else honestSlots += sent.held;
            }
          }
          expect(cheaterSlots + honestSlots).toBe(slots);
          const counts = await h.tally.contract.getFunction("tallyCounts")(S, participant.address);
          expect(counts.slice(2).map(Number)).toEqual([slots, cheaterSlots, honestSlots]);
          const t = await h.tally.tally(S, participant.address);
          expect(t.convicted).toBe(cheaterSlots * 2 > slots);
        },
      ),
      { numRuns: 25 },
    );
  }, 900_000);
});
