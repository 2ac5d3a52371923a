// The module's genesis: validate, import into an empty store, export.
import { isStageStart, stageWindows } from "../core/index.js";
import type { GenesisState } from "../gen/pocval/v1/genesis.js";
import type { StageTiming } from "../gen/pocval/v1/params.js";
import { ChainError, ErrorCode } from "./errors.js";
import {
  commitments,
  finalizedStages,
  getAuthority,
  getParams,
  getTiming,
  participants,
  recordVote,
  setAuthority,
  setCommitment,
  setFinalized,
  setParams,
  setParticipant,
  setSnapshot,
  setTally,
  setTiming,
  setValidator,
  snapshots,
  tallies,
  validators,
  votes,
} from "./keeper.js";
import type { KVStore } from "./store.js";
import {
  checkAddress,
  integerString,
  validateCommit,
  validateParams,
  validateRegister,
  validateSubmitVotes,
  validateTiming,
} from "./validate.js";

function genesisError(e: unknown, where: string): ChainError {
  const log = e instanceof ChainError ? e.log : (e as Error).message;
  return new ChainError(ErrorCode.InvalidGenesis, `invalid genesis ${where}: ${log}`, {}, { cause: e });
}

function guard<T>(where: string, check: () => T): T {
  try {
    return check();
  } catch (e) {
    throw genesisError(e, where);
  }
}

function unique(seen: Set<string>, key: string, where: string): void {
  if (seen.has(key)) throw invalid(where, "listed twice");
  seen.add(key);
}

/** Checks a genesis state for import: every record valid and consistent with the others. Throws ChainError. */
export function validateGenesis(g: GenesisState): void {
  guard("params", () => validateParams(g.params));
  const t = guard("timing", () => validateTiming(g.timing));
  guard("authority", () => checkAddress(g.authority, { field: "authority" }));
  validateValidators(g);
  const registered = validateParticipants(g);
  const snapshotOf = validateSnapshots(g, t);
  const committed = validateCommitments(g, t, registered);
  validateVotes(g, snapshotOf, committed);
  validateTallies(g, t);
  validateFinalizedStages(g, t);
}

const invalid = (where: string, detail: string): ChainError =>
  new ChainError(ErrorCode.InvalidGenesis, `invalid genesis ${where}: ${detail}`);

function stageOk(t: StageTiming, stage: bigint, where: string): void {
  if (!isStageStart(t, stage)) throw invalid(where, `${stage} is not a stage start height`);
}

function validateValidators(g: GenesisState): void {
  const seen = new Set<string>();
  g.validators.forEach((v, i) => {
    const where = `validators[${i}]`;
    guard(where, () => checkAddress(v.address, { field: "address" }));
    guard(where, () => integerString(v.stake, { field: "stake" }));
    unique(seen, v.address, where);
  });
}

/** The registered participants' addresses. */
function validateParticipants(g: GenesisState): Set<string> {
  const registered = new Set<string>();
  g.participants.forEach((p, i) => {
    const where = `participants[${i}]`;
    guard(where, () =>
      validateRegister({ creator: p.address, pocPublicKey: p.pocPublicKey, proofApiUrl: p.proofApiUrl }),
    );
    unique(registered, p.address, where);
  });
  return registered;
}

/** Each snapshot's validator addresses, by stage. */
function validateSnapshots(g: GenesisState, t: StageTiming): Map<bigint, Set<string>> {
  const snapshotOf = new Map<bigint, Set<string>>();
  g.snapshots.forEach((s, i) => {
    const where = `snapshots[${i}]`;
    stageOk(t, s.stageHeight, where);
    if (snapshotOf.has(s.stageHeight)) throw invalid(where, "listed twice");
    const members = new Set<string>();
    let total = 0n;
    s.validators.forEach((v, j) => {
      guard(`${where}.validators[${j}]`, () => checkAddress(v.address, { field: "address" }));
      total += guard(`${where}.validators[${j}]`, () => integerString(v.stake, { field: "stake" }));
      unique(members, v.address, `${where}.validators[${j}]`);
    });
    if (s.totalStake !== total.toString()) {
      throw invalid(where, `total_stake ${s.totalStake} is not the sum ${total}`);
    }
    snapshotOf.set(s.stageHeight, members);
  });
  return snapshotOf;
}

/** The commitments as "stage/participant" keys. */
function validateCommitments(g: GenesisState, t: StageTiming, registered: Set<string>): Set<string> {
  const committed = new Set<string>();
  g.commitments.forEach((c, i) => {
    const where = `commitments[${i}]`;
    guard(where, () =>
      validateCommit({ creator: c.participant, stageHeight: c.stageHeight, count: c.count, rootHash: c.rootHash }),
    );
    stageOk(t, c.stageHeight, where);
    if (!registered.has(c.participant)) throw invalid(where, `participant ${c.participant} is not registered`);
    unique(committed, `${c.stageHeight}/${c.participant}`, where);
  });
  return committed;
}

function validateVotes(g: GenesisState, snapshotOf: Map<bigint, Set<string>>, committed: Set<string>): void {
  const voted = new Set<string>();
  g.votes.forEach((r, i) => {
    const where = `votes[${i}]`;
    if (r.vote === undefined) throw invalid(where, "vote is missing");
    const vote = r.vote;
    guard(where, () => validateSubmitVotes({ creator: r.validator, stageHeight: r.stageHeight, votes: [vote] }));
    if (!snapshotOf.get(r.stageHeight)?.has(r.validator)) {
      throw invalid(where, `validator ${r.validator} is not in the stake snapshot of stage ${r.stageHeight}`);
    }
    if (!committed.has(`${r.stageHeight}/${vote.participant}`)) {
      throw invalid(where, `participant ${vote.participant} has no commitment in stage ${r.stageHeight}`);
    }
    unique(voted, `${r.stageHeight}/${vote.participant}/${r.validator}`, where);
  });
}

function validateTallies(g: GenesisState, t: StageTiming): void {
  const tallied = new Set<string>();
  g.tallies.forEach((tally, i) => {
    const where = `tallies[${i}]`;
    stageOk(t, tally.stageHeight, where);
    guard(where, () => checkAddress(tally.participant, { field: "participant" }));
    const [total, cheater, honest, abstain] = (
      ["total_stake", "cheater_stake", "honest_stake", "abstain_stake"] as const
    ).map((field) => guard(where, () => integerString(tally[fieldName(field)], { field }))) as [
      bigint,
      bigint,
      bigint,
      bigint,
    ];
    if (total !== cheater + honest + abstain) throw invalid(where, "total_stake is not cheater + honest + abstain");
    if (tally.weight !== (tally.convicted ? 0n : tally.count)) {
      throw invalid(where, "weight must be 0 when convicted, else count");
    }
    // decided_height 0: exported before decided tallies existed.
    const w = stageWindows(t, tally.stageHeight);
    const d = tally.decidedHeight;
    if (d !== 0n && (d < w.samplingHeight || d > w.validationEnd)) {
      throw new ChainError(
        ErrorCode.InvalidGenesis,
        `invalid genesis ${where}: decided_height ${d} is outside the stage's heights ${w.samplingHeight}..${w.validationEnd}`,
      );
    }
    unique(tallied, `${tally.stageHeight}/${tally.participant}`, where);
  });
}

function validateFinalizedStages(g: GenesisState, t: StageTiming): void {
  const finalized = new Set<string>();
  g.finalizedStages.forEach((stage, i) => {
    stageOk(t, stage, `finalized_stages[${i}]`);
    unique(finalized, stage.toString(), `finalized_stages[${i}]`);
  });
}

function fieldName(field: "total_stake" | "cheater_stake" | "honest_stake" | "abstain_stake") {
  return (
    {
      total_stake: "totalStake",
      cheater_stake: "cheaterStake",
      honest_stake: "honestStake",
      abstain_stake: "abstainStake",
    } as const
  )[field];
}

/** Validates g and writes it into an empty store. Ballots (the tally's index of votes) are rebuilt from the votes. */
export function initGenesis(store: KVStore, g: GenesisState): void {
  validateGenesis(g);
  setParams(store, g.params!);
  setTiming(store, g.timing!);
  setAuthority(store, g.authority);
  for (const v of g.validators) setValidator(store, v);
  for (const p of g.participants) setParticipant(store, p);
  for (const c of g.commitments) setCommitment(store, c);
  for (const s of g.snapshots) setSnapshot(store, s);
  const snapshotIndex = new Map(
    g.snapshots.map((s) => [s.stageHeight, new Map(s.validators.map((v, i) => [v.address, i]))]),
  );
  for (const r of g.votes) {
    const index = snapshotIndex.get(r.stageHeight)!;
    recordVote(store, r, index.get(r.validator)!, index.size);
  }
  for (const t of g.tallies) setTally(store, t);
  for (const stage of g.finalizedStages) setFinalized(store, stage);
}

/**
 * The module's whole state, in store order (validators and participants by address; stage records by
 * stage, then participant, then validator). export(init(g)) equals g when g lists records in that order.
 */
export function exportGenesis(store: KVStore): GenesisState {
  return {
    params: getParams(store),
    timing: getTiming(store),
    authority: getAuthority(store),
    validators: [...validators(store)],
    participants: [...participants(store)],
    commitments: [...commitments(store)],
    votes: [...votes(store)],
    tallies: [...tallies(store)],
    snapshots: [...snapshots(store)],
    finalizedStages: [...finalizedStages(store)],
  };
}
