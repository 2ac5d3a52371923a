// `pocval localnet run` as a library: a scenario brought up on loopback in five steps (start the
// chain, start the machines, start the agents, follow each stage, report) and stopped again.
import { mkdir, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadPairRateTable } from "../analysis/index.js";
import { DEFAULT_CHUNK_SIZE, defaultParams } from "../core/index.js";
import type { Params } from "../gen/pocval/v1/params.js";
import type { VoteRecord } from "../gen/pocval/v1/types.js";
import { startAgents } from "./agents.js";
import type { BackendThread } from "./backend-thread.js";
import type { VoteBatchGas } from "./evm.js";
import { anyWrongProbability, type WrongVerdictRisk, wrongVerdictRisks } from "./expectations.js";
import { type FollowUntil, followStage, waitForRegistration } from "./follow.js";
import { type RunningMachines, startMachines } from "./machines.js";
import { initIdentities, type NetworkIdentities, type RunningChain, race, startChain } from "./network.js";
import { type StageReport, stageReport, validatorRows } from "./report.js";
import { type Scenario, scenarioTiming } from "./scenario.js";
import { type ChildFailedError, createSupervisor, type Supervisor } from "./supervisor.js";
import {
  type ChainKind,
  type Engine,
  type EngineControl,
  LocalnetError,
  type LocalnetResult,
  type StagePhase,
} from "./types.js";

export interface RunOptions {
  /** Where progress lines go (stderr by default). */
  progress?: (line: string) => void;
  /** Leave everything running and resolve with `stop` for the caller to call. */
  keep?: boolean;
  /**
   * With keep: called for each child that dies after the run (a normal run fails instead), with its
   * exit and log tail in the message. By default the message goes to progress.
   */
  onChildFailure?: (err: ChildFailedError) => void;
  /** Folder for homes, configs and logs (a fresh temporary folder by default). */
  runDir?: string;
  /** The consensus engine; "embedded" by default (the cosmos chain only). */
  engine?: Engine;
  /** The chain binding; "cosmos" by default. */
  chain?: ChainKind;
  /**
   * When the run ends: once every tally of its last stage is decided ("decided", the default), or
   * once its window has passed ("final", the default with keep).
   */
  until?: FollowUntil;
  /** Called (and awaited) as each stage enters a phase, with the network's controls. */
  onPhase?: (event: { stageHeight: bigint; phase: StagePhase; control: EngineControl }) => Promise<void> | void;
  /**
   * Aborting it (Ctrl-C, SIGTERM) stops every process and server the run started, then the run
   * rejects with a LocalnetError: no child outlives an interrupted run.
   */
  signal?: AbortSignal;
}

export interface LocalnetRun {
  result: LocalnetResult;
  control: EngineControl;
  /** Stops every process and server the run started. */
  stop(): Promise<void>;
}

/** The measured honest mismatch rate of every pair of reference profiles (scripts/pair-rates.ts). */
export const PAIR_RATE_TABLE = fileURLToPath(new URL("../../localnet/pair-rates.json", import.meta.url));

/** The chain params the scenario runs with: docs/protocol.md's defaults plus its overrides. */
export function effectiveParams(scenario: Scenario): Params {
  const o = scenario.params;
  const base = defaultParams();
  return {
    ...base,
    ...(o.model !== undefined && { model: o.model }),
    ...(o.seqLen !== undefined && { seqLen: o.seqLen }),
    ...(o.kDim !== undefined && { kDim: o.kDim }),
    ...(o.distThreshold !== undefined && { distThreshold: o.distThreshold }),
    ...(o.fpRate !== undefined && { fpRate: o.fpRate }),
    ...(o.alpha !== undefined && { alpha: o.alpha }),
    ...(o.sampleSize !== undefined && { sampleSize: o.sampleSize }),
    ...(o.quorumNum !== undefined && { quorumNum: BigInt(o.quorumNum) }),
    ...(o.quorumDen !== undefined && { quorumDen: BigInt(o.quorumDen) }),
    ...(o.validationSlots !== undefined && { validationSlots: o.validationSlots }),
    ...(o.proofRequestBudget !== undefined && { proofRequestBudget: o.proofRequestBudget }),
    ...(o.proofResponseMs !== undefined && { proofResponseMs: o.proofResponseMs }),
    ...(o.acceptanceRate !== undefined && { acceptanceRate: o.acceptanceRate }),
  };
}

/** Exact probability of any wrong verdict in one stage of this scenario. */
export function scenarioRisk(scenario: Scenario): { risks: WrongVerdictRisk[]; any: number } {
  const p = effectiveParams(scenario);
  const risks = wrongVerdictRisks(scenario, {
    sampleSize: p.sampleSize,
    fpRate: Number(p.fpRate),
    alpha: Number(p.alpha),
    quorum: Number(p.quorumNum) / Number(p.quorumDen),
    slots: p.validationSlots,
    quorumFraction: { num: p.quorumNum, den: p.quorumDen },
    pairTable: { rates: loadPairRateTable(PAIR_RATE_TABLE), threshold: Number(p.distThreshold) },
    // Early acceptance stops checks of sidecars that curtail (a full check never stops early).
    ...(p.acceptanceRate !== "" &&
      scenario.check?.curtail !== false && {
        early: { acceptanceRate: p.acceptanceRate, chunkSize: scenario.check?.chunkSize ?? DEFAULT_CHUNK_SIZE },
      }),
  });
  return { risks, any: anyWrongProbability(risks) * scenario.stages };
}

/**
 * Runs the scenario end to end on loopback: node, reference backends, participants, one sidecar
 * per validator; waits for the tallies of `scenario.stages` stages and reports them.
 */
export async function runLocalnet(scenario: Scenario, opts: RunOptions = {}): Promise<LocalnetRun> {
  const progress = opts.progress ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { risks, any } = scenarioRisk(scenario);
  if (any > scenario.maxWrongVerdictProbability) {
    const worst = risks
      .filter((r) => r.probability > 0)
      .sort((a, b) => b.probability - a.probability)
      .map((r) => `${r.participant} ${r.probability.toExponential(3)}`)
      .join(", ");
    const adversaries = scenario.validators.some((v) => v.strategy !== "honest");
    throw new LocalnetError(
      `scenario ${scenario.name}: the probability of a wrong verdict is ${any.toExponential(2)}, above its limit ` +
        `${scenario.maxWrongVerdictProbability} (exact, per participant: ${worst}); ` +
        (adversaries
          ? "with the declared adversaries' votes fixed, no sampling setting can bring it down: change the stakes or the slots"
          : "lower alpha or raise sample_size in its params"),
    );
  }
  const runDir = opts.runDir ?? (await mkdtemp(join(tmpdir(), "pocval-localnet-")));
  await mkdir(join(runDir, "logs"), { recursive: true });
  await mkdir(join(runDir, "config"), { recursive: true });
  const supervisor = createSupervisor(runDir);
  const backends = new Map<string, BackendThread>();
  const cleanups: (() => Promise<void>)[] = [];
  // Once: an abort and the failure it causes both stop the run.
  let stopping: Promise<void> | undefined;
  const stopAll = () => {
    stopping ??= (async () => {
      await supervisor.stopAll();
      await Promise.all([...backends.values()].map((b) => b.stop()));
      await Promise.all(cleanups.splice(0).map((c) => c()));
    })();
    return stopping;
  };
  try {
    const run = orchestrate(scenario, runDir, { supervisor, backends, cleanups }, progress, { risks, any }, opts);
    const { result, control } = await (opts.signal ? untilAborted(run, opts.signal, stopAll, runDir) : run);
    if (!opts.keep) await stopAll();
    else supervisor.onFailure(opts.onChildFailure ?? ((err) => progress(`localnet: ${err.message}`)));
    return { result, control, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/**
 * The run, or on abort: everything stopped, then a LocalnetError (the run's own later failure, a
 * child killed by the stop, is ignored).
 */
function untilAborted<T>(
  run: Promise<T>,
  signal: AbortSignal,
  stopAll: () => Promise<void>,
  runDir: string,
): Promise<T> {
  run.catch(() => undefined);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      void stopAll().finally(() =>
        reject(new LocalnetError(`stopped before the end: every process stopped; logs kept in ${runDir}`)),
      );
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    // After an abort the run fails as its processes stop (a node query refused): onAbort answers.
    run.then(
      (v) => {
        if (signal.aborted) return;
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (err) => {
        if (signal.aborted) return;
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}

/** What the run started, for its stop. */
interface Started {
  supervisor: Supervisor;
  backends: Map<string, BackendThread>;
  /** Stops what the run started outside the supervisor (anvil). */
  cleanups: (() => Promise<void>)[];
}

/** The scenario's wrong-verdict risk, computed once before the run. */
interface RunRisk {
  risks: WrongVerdictRisk[];
  any: number;
}

async function orchestrate(
  scenario: Scenario,
  runDir: string,
  started: Started,
  progress: (line: string) => void,
  risk: RunRisk,
  opts: RunOptions,
): Promise<{ result: LocalnetResult; control: EngineControl }> {
  const chainKind = opts.chain ?? "cosmos";
  if (chainKind === "evm" && opts.engine !== undefined) {
    throw new LocalnetError(`the ${opts.engine} engine runs the cosmos chain; the evm chain runs on anvil`);
  }
  const params = effectiveParams(scenario);
  progress(`run folder: ${runDir}`);
  const ids = await initIdentities(scenario, runDir, params, chainKind);
  const { supervisor } = started;
  const { machines, chain } = await startMachinesAndChain(chainKind, scenario, runDir, params, ids, started, {
    progress,
    engine: opts.engine ?? "embedded",
  });
  await startAgents({ scenario, runDir, ids, chain, machines, supervisor }, progress);
  const firstStage = await waitForRegistration(chain.reader, supervisor, scenario, ids.participants.length, progress);
  await skipIdleBlocks(chain, firstStage, progress);
  const followed = await followStages(scenario, params, firstStage, ids, chain, supervisor, progress, opts);
  const result = runResult(runDir, chainKind, ids, chain, machines, followed, risk);
  return { result, control: chain.control };
}

/**
 * The machines and the chain. On cosmos the machines first: they need no chain, and every block spent
 * starting them delays the first stage. On anvil both at once: the idle blocks are skipped anyway
 * (skipIdleBlocks). Both settle before a failure is thrown, so that the run's stop finds all they started.
 */
async function startMachinesAndChain(
  chainKind: ChainKind,
  scenario: Scenario,
  runDir: string,
  params: Params,
  ids: NetworkIdentities,
  started: Started,
  o: { progress: (line: string) => void; engine: Engine },
): Promise<{ machines: RunningMachines; chain: RunningChain }> {
  const machinesUp = () => startMachines(scenario, params, started.backends, o.progress);
  const chainUp = () =>
    startChain(chainKind, o.engine, scenario, runDir, params, ids, { ...started, progress: o.progress });
  if (chainKind !== "evm") {
    const machines = await machinesUp();
    return { machines, chain: await chainUp() };
  }
  const [machines, chain] = await Promise.allSettled([machinesUp(), chainUp()]);
  if (machines.status === "rejected") throw machines.reason;
  if (chain.status === "rejected") throw chain.reason;
  return { machines: machines.value, chain: chain.value };
}

/**
 * On anvil, the blocks before the first stage are mined at once: the contract's timing is fixed at
 * deployment, before anyone registers, so the stage after registration may be tens of blocks away.
 * The stage then starts at the next block the interval miner produces.
 */
async function skipIdleBlocks(chain: RunningChain, firstStage: bigint, progress: (line: string) => void) {
  if (!chain.evm) return;
  const mined = await chain.evm.fastForward(firstStage - 1n);
  if (mined > 0) progress(`anvil: ${mined} idle blocks mined at once, up to height ${firstStage - 1n}`);
}

/** Every stage's report, the votes of the run, and on EVM the gas of its vote transactions. */
interface FollowedStages {
  stages: StageReport[];
  votes: VoteRecord[];
  voteGas: VoteBatchGas[];
}

/** Follows `scenario.stages` stages from the first and reports each once its tallies are final. */
async function followStages(
  scenario: Scenario,
  params: Params,
  firstStage: bigint,
  ids: NetworkIdentities,
  { reader, control, evm }: RunningChain,
  supervisor: Supervisor,
  progress: (line: string) => void,
  opts: RunOptions,
): Promise<FollowedStages> {
  const timing = scenarioTiming(scenario.timing);
  const followed: FollowedStages = { stages: [], votes: [], voteGas: [] };
  const until = opts.until ?? (opts.keep ? "final" : "decided");
  for (let s = 0; s < scenario.stages; s++) {
    const stageHeight = firstStage + BigInt(s) * timing.stageLength;
    const onPhase = opts.onPhase;
    const { decided } = await race(
      supervisor,
      followStage(reader, stageHeight, scenario, progress, {
        // Earlier stages are followed to final: the next one starts at its own height anyway.
        until: s === scenario.stages - 1 ? until : "final",
        ...(onPhase && { onPhase: (phase) => onPhase({ stageHeight, phase, control }) }),
      }),
    );
    const tallies = await reader.tallies(stageHeight);
    const votes = await reader.votes(stageHeight);
    followed.votes.push(...votes);
    if (evm) followed.voteGas.push(...(await evm.voteGas(stageHeight)));
    followed.stages.push(
      stageReport(stageHeight, tallies, votes, ids.participants, {
        validators: ids.validators.map((v) => v.address),
        sampleSize: params.sampleSize,
        decided,
      }),
    );
  }
  return followed;
}

/** The run's report: its stages and validators against the scenario, its risk and its endpoints. */
function runResult(
  runDir: string,
  chainKind: ChainKind,
  ids: NetworkIdentities,
  { control, evm }: RunningChain,
  machines: RunningMachines,
  { stages, votes, voteGas }: FollowedStages,
  risk: RunRisk,
): LocalnetResult {
  return {
    stages,
    validators: validatorRows(ids.validators, votes, ids.participants),
    expectations_met: stages.every((s) => s.tallies.every((t) => t.met)),
    wrong_verdict_probability: risk.any,
    risks: risk.risks,
    run_dir: runDir,
    engine: control.engine,
    chain: chainKind,
    ...(evm && { contract: { address: evm.contract, governance: evm.governance }, vote_gas: voteGas }),
    endpoints: {
      node_rpc: control.rpcUrls[0]!,
      node_rpcs: control.rpcUrls,
      backends: machines.urls(),
      keys_dir: join(ids.home, "keys"),
      logs_dir: join(runDir, "logs"),
    },
  };
}
