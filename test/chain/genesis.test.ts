import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  beginBlock,
  ChainError,
  defaultParams,
  defaultTiming,
  ErrorCode,
  endBlock,
  exportGenesis,
  initGenesis,
  memoryStore,
  validateGenesis,
} from "../../src/chain/index.js";
import { GenesisState } from "../../src/gen/pocval/v1/genesis.js";
import {
  type Commitment,
  type Participant,
  type Reason,
  type StakeSnapshot,
  type Tally,
  Verdict,
  type VoteRecord,
} from "../../src/gen/pocval/v1/types.js";
import {
  address,
  aVote,
  baseGenesis,
  commit,
  ctxAt,
  dump,
  freshStore,
  p0,
  p1,
  register,
  root,
  submitVotes,
  v0,
  v1,
  v2,
} from "./helpers.js";

const STAGES = [2n, 32n, 62n, 92n];
const VALIDATORS = Array.from({ length: 5 }, (_, i) => address(`genesis-validator-${i}`));
const PARTICIPANTS = Array.from({ length: 4 }, (_, i) => address(`genesis-participant-${i}`));

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const stake = fc.bigInt(0n, 10n ** 24n);
const height = fc.bigInt(1n, 10n ** 6n);
const voteArb = fc.record({
  verdict: fc.constantFrom(Verdict.VERDICT_HONEST, Verdict.VERDICT_CHEATER),
  reason: fc.integer({ min: 0, max: 5 }) as fc.Arbitrary<Reason>,
  checked: fc.integer({ min: 0, max: 500 }),
  mismatchShare: fc.double({ min: 0, max: 1, noNaN: true }),
  pValue: fc.constantFrom("0", "1", "0.5", "3.2e-9", "0.049999"),
  evidenceHash: bytes32,
  height,
});
const tallyArb = fc.record({
  cheater: stake,
  honest: stake,
  abstain: stake,
  convicted: fc.boolean(),
  count: fc.bigInt(0n, 10n ** 9n),
  cheaterVotes: fc.nat(500),
  honestVotes: fc.nat(500),
});

const compare = (a: string | bigint, b: string | bigint) => (a < b ? -1 : a > b ? 1 : 0);
const byKeys =
  <T>(...parts: ((x: T) => string | bigint)[]) =>
  (a: T, b: T) => {
    for (const part of parts) {
      const c = compare(part(a), part(b));
      if (c !== 0) return c;
    }
    return 0;
  };

/** A valid genesis state with every kind of record, consistent with the module's rules. */
const genesisArb = fc
  .record({
    validatorStakes: fc.array(fc.option(stake), { minLength: VALIDATORS.length, maxLength: VALIDATORS.length }),
    participants: fc.array(
      fc.option(
        fc.record({
          key: fc.string({ minLength: 1, maxLength: 30 }),
          port: fc.integer({ min: 1, max: 65535 }),
          height,
        }),
      ),
      {
        minLength: PARTICIPANTS.length,
        maxLength: PARTICIPANTS.length,
      },
    ),
    snapshots: fc.array(
      fc.option(fc.array(fc.option(stake), { minLength: VALIDATORS.length, maxLength: VALIDATORS.length })),
      {
        minLength: STAGES.length,
        maxLength: STAGES.length,
      },
    ),
    commits: fc.array(fc.option(fc.record({ count: fc.bigInt(1n, 10n ** 9n), root: bytes32, height })), {
      minLength: STAGES.length * PARTICIPANTS.length,
      maxLength: STAGES.length * PARTICIPANTS.length,
    }),
    votes: fc.array(fc.option(voteArb, { freq: 2 }), {
      minLength: STAGES.length * PARTICIPANTS.length * VALIDATORS.length,
      maxLength: STAGES.length * PARTICIPANTS.length * VALIDATORS.length,
    }),
    tallies: fc.array(fc.option(tallyArb), {
      minLength: STAGES.length * PARTICIPANTS.length,
      maxLength: STAGES.length * PARTICIPANTS.length,
    }),
    finalized: fc.array(fc.boolean(), { minLength: STAGES.length, maxLength: STAGES.length }),
    quorumNum: fc.bigInt(0n, 3n),
  })
  .map((r): GenesisState => {
    const participants: Participant[] = [];
    r.participants.forEach((p, i) => {
      if (p !== null) {
        participants.push({
          address: PARTICIPANTS[i]!,
          pocPublicKey: p.key,
          proofApiUrl: `http://127.0.0.1:${p.port}/`,
          registeredHeight: p.height,
        });
      }
    });
    const snapshots: StakeSnapshot[] = [];
    const commitments: Commitment[] = [];
    const votes: VoteRecord[] = [];
    const tallies: Tally[] = [];
    STAGES.forEach((stageHeight, si) => {
      const members = r.snapshots[si];
      if (members) {
        const validators = members.flatMap((s, vi) =>
          s === null ? [] : [{ address: VALIDATORS[vi]!, stake: s.toString() }],
        );
        snapshots.push({
          stageHeight,
          validators,
          totalStake: members.reduce<bigint>((sum, s) => sum + (s ?? 0n), 0n).toString(),
        });
      }
      PARTICIPANTS.forEach((participant, pi) => {
        const c = r.commits[si * PARTICIPANTS.length + pi];
        const t = r.tallies[si * PARTICIPANTS.length + pi];
        if (t) {
          tallies.push({
            stageHeight,
            participant,
            count: t.count,
            totalStake: (t.cheater + t.honest + t.abstain).toString(),
            cheaterStake: t.cheater.toString(),
            honestStake: t.honest.toString(),
            abstainStake: t.abstain.toString(),
            convicted: t.convicted,
            weight: t.convicted ? 0n : t.count,
            cheaterVotes: t.cheaterVotes,
            honestVotes: t.honestVotes,
            slots: 0,
            cheaterSlots: 0,
            honestSlots: 0,
            abstainSlots: 0,
            decidedHeight: stageHeight + 22n,
            isFinal: true,
          });
        }
        if (!c || r.participants[pi] === null) return;
        commitments.push({ participant, stageHeight, count: c.count, rootHash: c.root, height: c.height });
        VALIDATORS.forEach((validator, vi) => {
          const v = r.votes[(si * PARTICIPANTS.length + pi) * VALIDATORS.length + vi];
          if (!v || !members || members[vi] === null) return;
          const mismatches = Math.floor(v.checked * v.mismatchShare);
          votes.push({
            stageHeight,
            validator,
            height: v.height,
            vote: {
              participant,
              verdict: v.verdict,
              reason: v.reason,
              checked: v.checked,
              mismatches,
              pValue: v.pValue,
              evidenceHash: v.evidenceHash,
            },
          });
        });
      });
    });
    return {
      params: { ...defaultParams(), quorumNum: r.quorumNum, quorumDen: 3n },
      timing: defaultTiming(),
      authority: address("genesis-authority"),
      validators: r.validatorStakes.flatMap((s, i) =>
        s === null ? [] : [{ address: VALIDATORS[i]!, stake: s.toString() }],
      ),
      participants,
      commitments,
      votes,
      tallies,
      snapshots,
      finalizedStages: STAGES.filter((_, i) => r.finalized[i]),
    };
  });

/** g with its lists in store order, the order exportGenesis produces. */
function canonical(g: GenesisState): GenesisState {
  return {
    ...g,
    validators: [...g.validators].sort(byKeys((v) => v.address)),
    participants: [...g.participants].sort(byKeys((p) => p.address)),
    commitments: [...g.commitments].sort(
      byKeys(
        (c) => c.stageHeight,
        (c) => c.participant,
      ),
    ),
    votes: [...g.votes].sort(
      byKeys(
        (v) => v.stageHeight,
        (v) => v.vote!.participant,
        (v) => v.validator,
      ),
    ),
    tallies: [...g.tallies].sort(
      byKeys(
        (t) => t.stageHeight,
        (t) => t.participant,
      ),
    ),
    snapshots: [...g.snapshots].sort(byKeys((s) => s.stageHeight)),
    finalizedStages: [...g.finalizedStages].sort(compare),
  };
}

describe("genesis", () => {
  it("defaults to docs/protocol.md's parameters and a localnet timing whose first stage is a real height", () => {
    expect(defaultParams()).toEqual({
      model: "Qwen/Qwen3-235B-A22B-Instruct-2507-FP8",
      seqLen: 1024,
      kDim: 12,
      distThreshold: "0.173663",
      fpRate: "0.02",
      alpha: "0.05",
      sampleSize: 200,
      quorumNum: 1n,
      quorumDen: 2n,
      validationSlots: 0,
      proofRequestBudget: 8,
      proofResponseMs: 30000,
      acceptanceRate: "",
    });
    expect(defaultTiming()).toEqual({ stageLength: 30n, stageOffset: 2n, commitWindow: 10n, validationWindow: 12n });
    expect(() => validateGenesis(baseGenesis())).not.toThrow();
  });

  it("round-trips: export(init(g)) is g in store order, and importing the export rebuilds the same store (property)", () => {
    fc.assert(
      fc.property(genesisArb, (g) => {
        const store = memoryStore();
        initGenesis(store, g);
        const exported = exportGenesis(store);
        expect(exported).toEqual(canonical(g));
        const again = memoryStore();
        initGenesis(again, GenesisState.decode(GenesisState.encode(exported).finish()));
        expect(dump(again)).toEqual(dump(store));
      }),
      { numRuns: 150 },
    );
  });

  it("rebuilds a running chain's state byte for byte from its export, tally index included", () => {
    const store = freshStore();
    for (const p of [p0, p1]) register(store, 1n, p);
    beginBlock(store, ctxAt(2n));
    commit(store, 3n, p0, 2n, 10n);
    commit(store, 4n, p1, 2n, 20n, root(2));
    submitVotes(store, 13n, v1, 2n, [aVote(p0, Verdict.VERDICT_CHEATER), aVote(p1)]);
    submitVotes(store, 14n, v0, 2n, [aVote(p0, Verdict.VERDICT_CHEATER)]);
    const copy = memoryStore();
    initGenesis(copy, exportGenesis(store));
    expect(dump(copy)).toEqual(dump(store));
    // The copy finalizes the stage exactly as the original does.
    submitVotes(copy, 15n, v2, 2n, [aVote(p1, Verdict.VERDICT_CHEATER)]);
    submitVotes(store, 15n, v2, 2n, [aVote(p1, Verdict.VERDICT_CHEATER)]);
    expect(endBlock(copy, ctxAt(24n))).toEqual(endBlock(store, ctxAt(24n)));
    expect(dump(copy)).toEqual(dump(store));
  });

  const base = baseGenesis();
  const withStage = (): GenesisState => {
    const store = freshStore();
    register(store, 1n, p0);
    beginBlock(store, ctxAt(2n));
    commit(store, 3n, p0, 2n, 10n);
    submitVotes(store, 13n, v0, 2n, [aVote(p0)]);
    endBlock(store, ctxAt(24n));
    return exportGenesis(store);
  };
  it.each<[string, () => GenesisState, string]>([
    ["missing params", () => ({ ...base, params: undefined }), "params"],
    ["k_dim 0", () => ({ ...base, params: { ...defaultParams(), kDim: 0 } }), "params.k_dim"],
    [
      "an acceptance_rate at fp_rate",
      () => ({ ...base, params: { ...defaultParams(), acceptanceRate: "0.02" } }),
      "params.acceptance_rate",
    ],
    ["missing timing", () => ({ ...base, timing: undefined }), "timing"],
    [
      "overlapping stages",
      () => ({ ...base, timing: { ...defaultTiming(), validationWindow: 20n } }),
      "timing.stage_length",
    ],
    [
      "an offset beyond the stage length",
      () => ({ ...base, timing: { ...defaultTiming(), stageOffset: 30n } }),
      "timing.stage_offset",
    ],
    ["a bad authority", () => ({ ...base, authority: "cosmos1xyz" }), "authority"],
    [
      "a validator listed twice",
      () => ({ ...base, validators: [...base.validators, base.validators[0]!] }),
      "validators[4]: listed twice",
    ],
    ["a stake with leading zeros", () => ({ ...base, validators: [{ address: v0, stake: "007" }] }), "validators[0]"],
    ["a negative stake", () => ({ ...base, validators: [{ address: v0, stake: "-1" }] }), "validators[0]"],
    [
      "a participant with a bad URL",
      () => ({ ...withStage(), participants: [{ ...withStage().participants[0]!, proofApiUrl: "x" }] }),
      "participants[0]",
    ],
    ["a commitment of an unregistered participant", () => ({ ...withStage(), participants: [] }), "is not registered"],
    [
      "a commitment at a height that is no stage start",
      () => {
        const g = withStage();
        g.commitments[0]!.stageHeight = 3n;
        return g;
      },
      "commitments[0]",
    ],
    ["a vote without the stage's snapshot", () => ({ ...withStage(), snapshots: [] }), "not in the stake snapshot"],
    [
      "a vote on a participant without a commitment",
      () => ({ ...withStage(), commitments: [], tallies: [] }),
      "has no commitment",
    ],
    [
      "a vote listed twice",
      () => {
        const g = withStage();
        g.votes.push(g.votes[0]!);
        return g;
      },
      "votes[1]: listed twice",
    ],
    [
      "a snapshot whose total is not its sum",
      () => {
        const g = withStage();
        g.snapshots[0]!.totalStake = "99";
        return g;
      },
      "is not the sum",
    ],
    [
      "a tally whose stakes do not add up",
      () => {
        const g = withStage();
        g.tallies[0]!.abstainStake = "1";
        return g;
      },
      "cheater + honest + abstain",
    ],
    [
      "a convicted tally with weight",
      () => {
        const g = withStage();
        g.tallies[0]!.convicted = true;
        return g;
      },
      "weight must be 0",
    ],
    ["a stage finalized twice", () => ({ ...withStage(), finalizedStages: [2n, 2n] }), "finalized_stages[1]"],
  ])("rejects a genesis with %s and writes nothing", (_name, make, fragment) => {
    const g = make();
    const store = memoryStore();
    let error: unknown;
    try {
      initGenesis(store, g);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ChainError);
    expect((error as ChainError).code).toBe(ErrorCode.InvalidGenesis);
    expect((error as ChainError).log).toContain(fragment);
    expect(dump(store)).toEqual([]);
  });
});
