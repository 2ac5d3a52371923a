import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type CastVote,
  createStageTallier,
  DEFAULT_QUORUM,
  type Quorum,
  stakeShare,
  tallyDecision,
  tallyParticipant,
} from "../../src/core/index.js";
import { Verdict } from "../../src/gen/pocval/v1/types.js";

const { VERDICT_CHEATER: CHEATER, VERDICT_HONEST: HONEST } = Verdict;
const stakes = [
  { validator: "a", stake: 35n },
  { validator: "b", stake: 25n },
  { validator: "c", stake: 15n },
  { validator: "d", stake: 25n },
];

describe("tallyParticipant", () => {
  it("convicts only when strictly more than half of all stake says cheater", () => {
    const exactlyHalf = tallyParticipant({
      participant: "p",
      count: 100n,
      stakes,
      votes: [
        { validator: "b", verdict: CHEATER },
        { validator: "d", verdict: CHEATER },
      ],
      quorum: DEFAULT_QUORUM,
    });
    expect(exactlyHalf).toEqual({
      totalStake: 100n,
      cheaterStake: 50n,
      honestStake: 0n,
      abstainStake: 50n,
      cheaterVotes: 2,
      honestVotes: 0,
      convicted: false,
      weight: 100n,
    });
    const more = tallyParticipant({
      participant: "p",
      count: 100n,
      stakes,
      votes: [
        { validator: "a", verdict: CHEATER },
        { validator: "c", verdict: CHEATER },
        { validator: "b", verdict: HONEST },
      ],
      quorum: DEFAULT_QUORUM,
    });
    expect(more.cheaterStake).toBe(50n);
    expect(more.convicted).toBe(false);
    const convicted = tallyParticipant({
      participant: "p",
      count: 100n,
      stakes,
      votes: [
        { validator: "a", verdict: CHEATER },
        { validator: "b", verdict: CHEATER },
      ],
      quorum: DEFAULT_QUORUM,
    });
    expect(convicted.convicted).toBe(true);
    expect(convicted.weight).toBe(0n);
  });

  it("does not count a validator's vote on itself, nor votes from outside the snapshot", () => {
    const r = tallyParticipant({
      participant: "a",
      count: 5n,
      stakes,
      votes: [
        { validator: "a", verdict: CHEATER },
        { validator: "b", verdict: CHEATER },
        { validator: "c", verdict: CHEATER },
        { validator: "zz", verdict: CHEATER },
      ],
      quorum: DEFAULT_QUORUM,
    });
    expect(r.cheaterStake).toBe(40n);
    expect(r.abstainStake).toBe(60n);
    expect(r.convicted).toBe(false);
  });

  it("uses the quorum as a rational and bigint stakes beyond 2^64", () => {
    const big = [
      { validator: "a", stake: 2n ** 70n },
      { validator: "b", stake: 2n ** 70n + 1n },
    ];
    const r = tallyParticipant({
      participant: "p",
      count: 1n,
      stakes: big,
      votes: [{ validator: "b", verdict: CHEATER }],
      quorum: DEFAULT_QUORUM,
    });
    expect(r.convicted).toBe(true);
    const twoThirds = tallyParticipant({
      participant: "p",
      count: 1n,
      stakes: big,
      votes: [{ validator: "b", verdict: CHEATER }],
      quorum: { num: 2n, den: 3n },
    });
    expect(twoThirds.convicted).toBe(false);
  });

  it("refuses a second vote by one validator and a bad quorum", () => {
    expect(() =>
      tallyParticipant({
        participant: "p",
        count: 1n,
        stakes,
        votes: [
          { validator: "a", verdict: CHEATER },
          { validator: "a", verdict: HONEST },
        ],
        quorum: DEFAULT_QUORUM,
      }),
    ).toThrow(/voted twice/);
    expect(() =>
      tallyParticipant({ participant: "p", count: 1n, stakes, votes: [], quorum: { num: 1n, den: 0n } }),
    ).toThrow(/invalid quorum/);
  });

  const network = fc
    .array(fc.bigInt({ min: 1n, max: 10n ** 20n }), { minLength: 1, maxLength: 12 })
    .chain((s) =>
      fc.tuple(
        fc.constant(s.map((stake, i) => ({ validator: `v${i}`, stake }))),
        fc.array(fc.constantFrom<Verdict | null>(CHEATER, HONEST, null), { minLength: s.length, maxLength: s.length }),
      ),
    );

  it("is invariant under vote order, and a further cheater vote never clears a conviction", () => {
    fc.assert(
      fc.property(network, fc.nat(), ([snapshot, verdicts], seed) => {
        const votes: CastVote[] = [];
        verdicts.forEach((v, i) => {
          if (v !== null) votes.push({ validator: `v${i}`, verdict: v });
        });
        const input = { participant: "p", count: 7n, stakes: snapshot, votes, quorum: DEFAULT_QUORUM };
        const r = tallyParticipant(input);
        const shuffled = [...votes].sort(
          (x, y) =>
            ((x.validator.length * seed) % 7) - ((y.validator.length * seed) % 7) ||
            (x.validator < y.validator ? 1 : -1),
        );
        expect(tallyParticipant({ ...input, votes: shuffled })).toEqual(r);
        expect(r.cheaterStake + r.honestStake + r.abstainStake).toBe(r.totalStake);
        const abstainer = verdicts.indexOf(null);
        if (abstainer >= 0) {
          const more = tallyParticipant({
            ...input,
            votes: [...votes, { validator: `v${abstainer}`, verdict: CHEATER }],
          });
          if (r.convicted) expect(more.convicted).toBe(true);
          expect(more.cheaterStake).toBeGreaterThan(r.cheaterStake);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("a ballot (one verdict byte per snapshot validator) tallies as the vote list does, small and huge stakes", () => {
    fc.assert(
      fc.property(network, fc.boolean(), fc.nat(), ([snapshot, verdicts], huge, selfIndex) => {
        const stakes = huge ? snapshot.map((s) => ({ ...s, stake: s.stake * 2n ** 60n })) : snapshot;
        const participant = selfIndex % 3 === 0 ? `v${selfIndex % stakes.length}` : "p";
        const ballot = Uint8Array.from(verdicts, (v) => v ?? 0);
        const votes: CastVote[] = [];
        verdicts.forEach((v, i) => {
          if (v !== null) votes.push({ validator: `v${i}`, verdict: v });
        });
        const tallier = createStageTallier(stakes, DEFAULT_QUORUM);
        expect(tallier.tallyBallot(participant, 9n, ballot)).toEqual(tallier.tally(participant, 9n, votes));
        expect(tallier.tally(participant, 9n, votes)).toEqual(
          tallyParticipant({ participant, count: 9n, stakes, votes, quorum: DEFAULT_QUORUM }),
        );
      }),
      { numRuns: 300 },
    );
  });
});

describe("stakeShare (docs/protocol.md, tally: rounded down to 1e-6)", () => {
  const millionths = (share: number) => Math.round(share * 1e6);

  it("rounds down, not to nearest: shares of 4, 1, 1 of 6 add up to at most 1", () => {
    // The EVM binding's copy rounded half up: 0.666667 + 0.166667 + 0.166667 = 1.000001.
    expect(stakeShare(4n, 6n)).toBe(0.666666);
    expect(stakeShare(1n, 6n)).toBe(0.166666);
    expect(millionths(stakeShare(4n, 6n)) + 2 * millionths(stakeShare(1n, 6n))).toBe(999_998);
    expect(stakeShare("2", "3")).toBe(0.666666);
    expect(stakeShare(5n, 0n)).toBe(0);
    expect(stakeShare(7n, 7n)).toBe(1);
  });

  it("a share shown above the quorum is always a conviction (just above half shows 0.5)", () => {
    // 1_000_001 of 2_000_000 is convicted (strictly more than half) and shows 0.5; never the reverse.
    expect(stakeShare(1_000_001n, 2_000_000n)).toBe(0.5);
    expect(stakeShare(999_999n, 2_000_000n)).toBe(0.499999);
  });

  it("never overstates a stake and is within 1e-6 of it; three shares never sum past 1 (fast-check)", () => {
    fc.assert(
      fc.property(fc.bigInt(0n, 10n ** 24n), fc.bigInt(0n, 10n ** 24n), fc.bigInt(1n, 10n ** 24n), (a, b, c) => {
        const total = a + b + c;
        for (const part of [a, b, c]) {
          const m = BigInt(millionths(stakeShare(part, total)));
          expect(m * total <= part * 1_000_000n).toBe(true);
          expect((m + 1n) * total > part * 1_000_000n).toBe(true);
        }
        const sum = [a, b, c].reduce((s, part) => s + millionths(stakeShare(part, total)), 0);
        expect(sum).toBeLessThanOrEqual(1_000_000);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("tallyDecision (decided tallies)", () => {
  const verdictOrNone = fc.constantFrom<Verdict | null>(CHEATER, HONEST, null);
  const quorum: fc.Arbitrary<Quorum> = fc
    .tuple(fc.bigInt({ min: 1n, max: 12n }), fc.nat({ max: 12 }))
    .map(([den, n]) => ({ num: BigInt(n) % (den + 1n), den }));
  /** Validators in voting order with the verdict each casts; `other` is what it might cast instead. */
  const stakeNetwork = fc
    .array(fc.record({ stake: fc.bigInt({ min: 1n, max: 10n ** 6n }), cast: verdictOrNone, other: verdictOrNone }), {
      minLength: 1,
      maxLength: 9,
    })
    .map((vs) => vs.map((v, i) => ({ ...v, validator: `v${i}` })));

  it("by stake: once decided, the final verdict is the decided one whatever the remaining votes are", () => {
    fc.assert(
      fc.property(stakeNetwork, quorum, fc.nat(), (network, q, selfPick) => {
        const stakes = network.map(({ validator, stake }) => ({ validator, stake }));
        const self = selfPick % 3 === 0 ? network[selfPick % network.length]! : undefined;
        const participant = self?.validator ?? "p";
        const tallier = createStageTallier(stakes, q);
        const votes = (list: typeof network, pick: "cast" | "other") =>
          list.flatMap((v) => (v[pick] === null ? [] : [{ validator: v.validator, verdict: v[pick]! }]));
        for (let voted = 0; voted <= network.length; voted++) {
          // The first `voted` validators have cast their vote (or none yet); everyone else may still vote.
          const prefix = votes(network.slice(0, voted), "cast");
          const now = tallier.tally(participant, 1n, prefix);
          const decision = tallyDecision(
            {
              total: now.totalStake,
              cheater: now.cheaterStake,
              honest: now.honestStake,
              uncountable: self?.stake ?? 0n,
            },
            q,
          );
          const open = network.filter((v, i) => i >= voted || v.cast === null);
          const late = (pick: "cast" | "other") =>
            open.flatMap((v) => {
              const verdict = v[pick] ?? v.other;
              return verdict === null ? [] : [{ validator: v.validator, verdict }];
            });
          if (decision !== undefined) {
            // Any completion: the votes the others cast, or the ones they might have cast instead.
            for (const pick of ["cast", "other"] as const) {
              const final = tallier.tally(participant, 1n, [...prefix, ...late(pick)]);
              expect(final.convicted).toBe(decision === "convicted");
            }
          } else {
            // Undecided is tight: everyone still open voting CHEATER convicts, voting HONEST clears.
            const all = (verdict: Verdict) => open.map((v) => ({ validator: v.validator, verdict }));
            expect(tallier.tally(participant, 1n, [...prefix, ...all(CHEATER)]).convicted).toBe(true);
            expect(tallier.tally(participant, 1n, [...prefix, ...all(HONEST)]).convicted).toBe(false);
          }
        }
      }),
      { numRuns: 400 },
    );
  });

  it("by slots: once decided, the final slot verdict is the decided one whatever the remaining holders vote", () => {
    const holders = fc.array(
      fc.record({ slots: fc.integer({ min: 1, max: 5 }), cast: verdictOrNone, other: verdictOrNone }),
      { minLength: 1, maxLength: 8 },
    );
    const slotVerdict = (list: { slots: number; v: Verdict | null }[], m: bigint, q: Quorum) =>
      BigInt(list.filter((h) => h.v === CHEATER).reduce((n, h) => n + h.slots, 0)) * q.den > m * q.num;
    fc.assert(
      fc.property(holders, quorum, (hs, q) => {
        const m = BigInt(hs.reduce((n, h) => n + h.slots, 0));
        for (let voted = 0; voted <= hs.length; voted++) {
          const sum = (v: Verdict) => BigInt(hs.slice(0, voted).reduce((n, h) => n + (h.cast === v ? h.slots : 0), 0));
          const decision = tallyDecision({ total: m, cheater: sum(CHEATER), honest: sum(HONEST), uncountable: 0n }, q);
          if (decision === undefined) continue;
          for (const pick of ["cast", "other"] as const) {
            const final = [
              ...hs.slice(0, voted).map((h) => ({ slots: h.slots, v: h.cast })),
              ...hs.slice(voted).map((h) => ({ slots: h.slots, v: h[pick] })),
            ];
            expect(slotVerdict(final, m, q)).toBe(decision === "convicted");
          }
        }
      }),
      { numRuns: 400 },
    );
  });

  it("decides at the exact quorum edge: half the stake cheater is not yet a conviction, half honest clears", () => {
    const q = DEFAULT_QUORUM;
    expect(tallyDecision({ total: 100n, cheater: 50n, honest: 0n, uncountable: 0n }, q)).toBeUndefined();
    expect(tallyDecision({ total: 100n, cheater: 51n, honest: 0n, uncountable: 0n }, q)).toBe("convicted");
    expect(tallyDecision({ total: 100n, cheater: 0n, honest: 49n, uncountable: 0n }, q)).toBeUndefined();
    expect(tallyDecision({ total: 100n, cheater: 0n, honest: 50n, uncountable: 0n }, q)).toBe("cleared");
    // A participant holding 60 of 100 stake as a validator cannot be convicted at all: cleared before any vote.
    expect(tallyDecision({ total: 100n, cheater: 0n, honest: 0n, uncountable: 60n }, q)).toBe("cleared");
  });
});
