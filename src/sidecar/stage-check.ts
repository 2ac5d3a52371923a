// One stage's checks: read what the chain committed, check every participant not yet decided,
// and journal each outcome (a vote or an abstention) with its metrics and log line.
import { NoSlotHoldersError, slotHolders, voteLabels } from "../core/index.js";
import type { StageTiming } from "../gen/pocval/v1/params.js";
import { Reason, type StageInfo } from "../gen/pocval/v1/types.js";
import type { semaphore } from "../net/index.js";
import { type Adversary, adversaryVote, formatAdversary } from "./adversary.js";
import type { SidecarChain } from "./chain.js";
import { type CheckParams, parseCheckParams } from "./check.js";
import {
  type CheckerContext,
  type CheckOutcome,
  type CheckTarget,
  checkParticipant,
  type StageFacts,
} from "./checker.js";
import type { SidecarConfig } from "./config.js";
import type { Journal } from "./journal.js";
import type { ValidatorKey } from "./keys.js";
import type { Logger } from "./log.js";
import type { SidecarMetrics } from "./metrics.js";
import { createReachability } from "./reachability.js";
import type { RecomputeQueue } from "./recompute.js";

/** What checking a stage needs: the sidecar's long-lived parts. */
export interface StageCheckDeps {
  config: SidecarConfig;
  key: ValidatorKey;
  log: Logger;
  metrics: SidecarMetrics;
  journal: Journal;
  chain: SidecarChain;
  recompute: RecomputeQueue;
  prove?: CheckerContext["prove"];
  /** Bounds the proof requests in flight across stages. */
  proofGate: ReturnType<typeof semaphore>;
  /** A localnet drill's adversarial voting (adversary.ts); never set from a config file. */
  adversary?: Adversary;
}

/** How far a stage's checks are, for progress lines and /healthz. */
export interface StageCount {
  total: number;
  finished: number;
}

export interface StageCheckHooks {
  /** The chain's timing as read for this stage (governance may change it). */
  onTiming(timing: StageTiming): void;
  /** A participant's outcome was journaled; `decided` is true for a new vote. */
  onOutcome(decided: boolean): void;
}

/**
 * Checks every participant that committed to the stage and is neither decided in the journal nor
 * voted on chain. Under params that do not parse it abstains on the whole stage. `deadlineMs`
 * (wall clock; core/availability.ts checkDeadlineMs) caps the waits between proof requests.
 */
export async function checkStage(
  deps: StageCheckDeps,
  info: StageInfo,
  signal: AbortSignal,
  count: StageCount,
  hooks: StageCheckHooks,
  deadlineMs?: number,
): Promise<void> {
  const { log, journal, chain } = deps;
  const stageHeight = info.stageHeight;
  const [{ params, timing }, participants, commitments, myVotes] = await Promise.all([
    chain.params(),
    chain.participants(),
    chain.commitments(stageHeight),
    chain.myVotes(stageHeight),
  ]);
  hooks.onTiming(timing);
  let checkParams: CheckParams;
  try {
    checkParams = parseCheckParams(params);
  } catch (err) {
    abstainOnStage(deps, stageHeight, commitments, err as Error);
    return;
  }
  const facts: StageFacts = {
    stageHeight,
    samplingBlockHash: info.samplingBlockHash,
    generationSeed: info.generationSeed,
    params: checkParams,
    ...(deadlineMs !== undefined && { deadlineMs }),
  };
  const mine = params.validationSlots > 0 ? await mySlots(deps, info, params.validationSlots) : undefined;
  const voted = new Set(myVotes.map((v) => v.vote?.participant ?? ""));
  const { targets, notMine } = selectTargets(deps, stageHeight, { participants, commitments, voted, mine });
  // A participant that answered in an earlier run of this stage proves the sidecar can reach them.
  const reachability = createReachability(
    commitments.some((c) => {
      const d = journal.decision(stageHeight, c.participant);
      return d !== undefined && d.vote.reason !== Reason.REASON_UNAVAILABLE;
    }),
  );
  count.total = targets.length;
  log.info("checking stage", {
    stage: stageHeight,
    committed: commitments.length,
    to_check: targets.length,
    ...(mine !== undefined ? { validation_slots: params.validationSlots, not_my_slots: notMine } : {}),
    sampling_block_hash: info.samplingBlockHash,
    ...(deadlineMs !== undefined && { proofs_deadline_in_ms: Math.round(deadlineMs - Date.now()) }),
  });
  await Promise.all(
    targets.map(async (target) => {
      const outcome = await checkTarget(deps, facts, target, reachability, signal);
      const decided = recordOutcome(deps, stageHeight, target, outcome);
      count.finished++;
      hooks.onOutcome(decided);
    }),
  );
}

type Commitments = Awaited<ReturnType<SidecarChain["commitments"]>>;

/** The params do not parse: an abstention on every committed participant of the stage. */
function abstainOnStage(
  deps: Pick<StageCheckDeps, "journal" | "metrics" | "log">,
  stageHeight: bigint,
  commitments: Commitments,
  err: Error,
): void {
  const { journal, metrics, log } = deps;
  log.error("chain params do not parse; abstaining on the whole stage", { stage: stageHeight, error: err.message });
  for (const c of commitments) {
    journal.recordAbstention(stageHeight, c.participant, "params");
    metrics.abstentions.inc({ cause: "params" });
  }
}

/**
 * Version 2: with validation slots on, this validator checks only the participants it holds slots
 * of (the chain refuses a vote from anyone else, and with it the whole message).
 */
async function mySlots(
  deps: Pick<StageCheckDeps, "chain" | "key">,
  info: StageInfo,
  slots: number,
): Promise<(participant: string) => boolean> {
  const { stageHeight, samplingBlockHash } = info;
  const snapshot = await deps.chain.stakeSnapshot(stageHeight);
  const stakes = snapshot.validators.map((v) => ({ validator: v.address, stake: BigInt(v.stake) }));
  return (participant) => {
    try {
      return slotHolders({ stageHeight, samplingBlockHash, participantAddress: participant, stakes, slots }).some(
        (h) => h.validator === deps.key.address,
      );
    } catch (err) {
      if (err instanceof NoSlotHoldersError) return false;
      throw err;
    }
  };
}

/** The committed participants still to check: not this validator, in its slots, undecided, not voted on chain. */
function selectTargets(
  deps: Pick<StageCheckDeps, "journal" | "key">,
  stageHeight: bigint,
  stage: {
    participants: Awaited<ReturnType<SidecarChain["participants"]>>;
    commitments: Commitments;
    voted: Set<string>;
    mine: ((participant: string) => boolean) | undefined;
  },
): { targets: CheckTarget[]; notMine: number } {
  const registered = new Map(stage.participants.map((p) => [p.address, p]));
  const targets: CheckTarget[] = [];
  let notMine = 0;
  for (const c of stage.commitments) {
    if (c.participant === deps.key.address) continue;
    if (stage.mine !== undefined && !stage.mine(c.participant)) {
      notMine++;
      continue;
    }
    if (deps.journal.decision(stageHeight, c.participant) !== undefined) continue;
    if (stage.voted.has(c.participant)) continue;
    const p = registered.get(c.participant);
    targets.push({
      address: c.participant,
      // An unregistered committer has no proof API: it cannot show its commitment.
      pocPublicKey: p?.pocPublicKey ?? "",
      proofApiUrl: p?.proofApiUrl ?? "",
      count: c.count,
      rootHash: c.rootHash,
    });
  }
  return { targets, notMine };
}

/** Checks one participant; an UNAVAILABLE vote becomes an abstention while no proof API answered. */
async function checkTarget(
  deps: StageCheckDeps,
  facts: StageFacts,
  target: CheckTarget,
  reachability: ReturnType<typeof createReachability>,
  signal: AbortSignal,
): Promise<CheckOutcome> {
  const forged = deps.adversary && adversaryVote(deps.adversary, facts, target, deps.key.address);
  const outcome: CheckOutcome = forged
    ? {
        kind: "vote",
        vote: forged,
        detail: `adversary ${formatAdversary(deps.adversary!)}: fabricated, nothing fetched or recomputed`,
        sampled: forged.checked,
      }
    : await fetchAndCheck(deps, facts, target, reachability, signal);
  // UNAVAILABLE only once some proof API answered this stage: if none ever does, the
  // sidecar's own network or clock is the likelier fault, and it abstains.
  if (outcome.kind === "vote" && outcome.vote.reason === Reason.REASON_UNAVAILABLE) {
    if (!(await reachability.waitReached(signal))) {
      return {
        kind: "abstain",
        cause: "no_participant_reachable",
        detail: `no proof API answered this stage, so ${target.address} is not blamed: ${outcome.detail}`,
      };
    }
  }
  return outcome;
}

/** The honest check: fetch the proofs, verify them and recompute the sample (checker.ts). */
function fetchAndCheck(
  deps: StageCheckDeps,
  facts: StageFacts,
  target: CheckTarget,
  reachability: ReturnType<typeof createReachability>,
  signal: AbortSignal,
): Promise<CheckOutcome> {
  const { config, key, log, metrics, recompute, prove, proofGate } = deps;
  return checkParticipant(
    {
      validatorAddress: key.address,
      privateKey: key.privateKey,
      proofApi: config.proofApi,
      recompute,
      check: config.check,
      onRecomputed: (t, leaves) => metrics.checkRecomputes.inc({ participant: t.address }, leaves),
      proofGate: (fn) => proofGate.run(fn),
      prove,
      onProofsFetched: () => reachability.markReached(),
      onProofFailure: (t, err) => {
        metrics.proofFailures.inc({ kind: err.kind });
        log.info("proof request failed", {
          stage: facts.stageHeight,
          participant: t.address,
          attempt: err.attempt,
          kind: err.kind,
          error: err.message,
        });
      },
    },
    facts,
    target,
    signal,
  );
}

/** Journals an outcome with its metrics and log line; true when it is a vote not journaled before. */
function recordOutcome(
  deps: Pick<StageCheckDeps, "journal" | "metrics" | "log">,
  stageHeight: bigint,
  target: CheckTarget,
  outcome: CheckOutcome,
): boolean {
  const { journal, metrics, log } = deps;
  if (outcome.kind === "abstain") {
    journal.recordAbstention(stageHeight, target.address, `${outcome.cause}: ${outcome.detail}`);
    metrics.participantsChecked.inc({ outcome: "abstain" });
    metrics.abstentions.inc({ cause: outcome.cause });
    log.warn("abstaining", {
      stage: stageHeight,
      participant: target.address,
      cause: outcome.cause,
      detail: outcome.detail,
    });
    return false;
  }
  const { vote } = outcome;
  // The evidence behind a fault vote is journaled with it (docs/protocol.md "Signed proof answers").
  const fresh = journal.recordDecision(
    stageHeight,
    vote,
    outcome.evidence ? JSON.stringify(outcome.evidence) : undefined,
  );
  metrics.participantsChecked.inc({ outcome: "vote" });
  if (!fresh) return false;
  const labels = voteLabels(vote);
  metrics.votesDecided.inc(labels);
  metrics.noncesChecked.inc(vote.checked);
  if (vote.reason === Reason.REASON_STAT_TEST) metrics.recomputesPerCheck.observe(vote.checked);
  metrics.mismatches.inc(vote.mismatches);
  log.info("decided", {
    stage: stageHeight,
    participant: target.address,
    ...labels,
    checked: vote.checked,
    mismatches: vote.mismatches,
    p_value: vote.pValue,
    detail: outcome.detail,
  });
  return true;
}
