// `pocval localnet run`: a whole stage end to end on loopback (chain, backends, agents, sidecars),
// then the report against the scenario's expectations.
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { QueryClient } from "@cosmjs/stargate";
import { connectComet } from "@cosmjs/tendermint-rpc";
import { type ReferenceBackend, startReferenceBackend } from "../backend/index.js";
import { setupPocvalExtension } from "../client/index.js";
import { defaultParams, nextStageStart, PocvalError, stageWindows } from "../core/index.js";
import type { Params } from "../gen/pocval/v1/params.js";
import type { VoteRecord } from "../gen/pocval/v1/types.js";
import { sleep } from "../net/index.js";
import { initHome } from "../node/index.js";
import { COMETBFT_VERSION, crashCometValidator, initCometNetwork, startCometValidator } from "./cometbft.js";
import { type EvmNetwork, evmAddressOf, type LocalnetChainReader, startEvmNetwork, type VoteBatchGas } from "./evm.js";
import { anyWrongProbability, type WrongVerdictRisk, wrongVerdictRisks } from "./expectations.js";
import { checkExternalBackend } from "./external.js";
import { freePort } from "./ports.js";
import {
  type ParticipantIdentity,
  type StageReport,
  stageReport,
  type ValidatorIdentity,
  type ValidatorRow,
  validatorRows,
} from "./report.js";
import { type Scenario, scenarioTiming } from "./scenario.js";
import { type ChildFailedError, createSupervisor, type Supervisor } from "./supervisor.js";

/** The run could not do what the scenario asks (a timeout, a chain that does not answer). */
export class LocalnetError extends PocvalError {
  override name = "LocalnetError";
}

export interface LocalnetResult {
  stages: StageReport[];
  validators: ValidatorRow[];
  expectations_met: boolean;
  wrong_verdict_probability: number;
  risks: WrongVerdictRisk[];
  run_dir: string;
  /** The consensus engine the run used ("anvil" on the EVM chain). */
  engine: Engine | "anvil";
  /** The binding: the pocval module on a Cosmos chain, or the PocvalTally contract on anvil. */
  chain: ChainKind;
  /** On the EVM chain: the contract and its governance address. */
  contract?: { address: string; governance: string };
  /** On the EVM chain: every vote transaction of the run with the gas it used. */
  vote_gas?: VoteBatchGas[];
  endpoints: Endpoints;
}

/** "embedded": the single-process pocval node; "cometbft": one CometBFT node and app per validator. */
export type Engine = "embedded" | "cometbft";
export const ENGINES: readonly Engine[] = ["embedded", "cometbft"];

/** "cosmos": the pocval module on the engine's chain; "evm": the PocvalTally contract on anvil. */
export type ChainKind = "cosmos" | "evm";
export const CHAINS: readonly ChainKind[] = ["cosmos", "evm"];

/** What a run offers its caller (tests) to act on the network while it runs or after it. */
export interface EngineControl {
  engine: Engine | "anvil";
  /** The RPC URL of each node: one for the embedded engine, one per validator (scenario order) for CometBFT. */
  rpcUrls: string[];
  /** kill -9 of the named validator's node and app (CometBFT only). */
  crash(validator: string): Promise<void>;
  /** Starts a crashed validator's app and node again on their homes (CometBFT only). */
  restart(validator: string): Promise<void>;
}

export type StagePhase = "commit" | "sampling" | "validation";

export interface Endpoints {
  /** The node the runner reads through (the first validator's under CometBFT). */
  node_rpc: string;
  /** Every node's RPC (under CometBFT, validator i's sidecar uses node i). */
  node_rpcs: string[];
  backends: Record<string, string>;
  keys_dir: string;
  logs_dir: string;
}

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
  /** Called (and awaited) as each stage enters a phase, with the network's controls. */
  onPhase?: (event: { stageHeight: bigint; phase: StagePhase; control: EngineControl }) => Promise<void> | void;
}

export interface LocalnetRun {
  result: LocalnetResult;
  control: EngineControl;
  /** Stops every process and server the run started. */
  stop(): Promise<void>;
}

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
    throw new LocalnetError(
      `scenario ${scenario.name}: the probability of a wrong verdict is ${any.toExponential(2)}, above its limit ` +
        `${scenario.maxWrongVerdictProbability}; lower alpha or raise sample_size in its params`,
    );
  }
  const runDir = opts.runDir ?? (await mkdtemp(join(tmpdir(), "pocval-localnet-")));
  await mkdir(join(runDir, "logs"), { recursive: true });
  await mkdir(join(runDir, "config"), { recursive: true });
  const supervisor = createSupervisor(runDir);
  const backends = new Map<string, ReferenceBackend>();
  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    await supervisor.stopAll();
    await Promise.all([...backends.values()].map((b) => b.stop()));
    await Promise.all(cleanups.splice(0).map((c) => c()));
  };
  try {
    const { result, control } = await orchestrate(
      scenario,
      runDir,
      { supervisor, backends, cleanups },
      progress,
      risks,
      any,
      opts,
    );
    if (!opts.keep) await stopAll();
    else supervisor.onFailure(opts.onChildFailure ?? ((err) => progress(`localnet: ${err.message}`)));
    return { result, control, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

async function orchestrate(
  scenario: Scenario,
  runDir: string,
  started: {
    supervisor: Supervisor;
    backends: Map<string, ReferenceBackend>;
    /** Stops what the run started outside the supervisor (anvil). */
    cleanups: (() => Promise<void>)[];
  },
  progress: (line: string) => void,
  risks: WrongVerdictRisk[],
  anyWrong: number,
  opts: RunOptions,
): Promise<{ result: LocalnetResult; control: EngineControl }> {
  const { supervisor, backends } = started;
  const chain = opts.chain ?? "cosmos";
  if (chain === "evm" && opts.engine !== undefined) {
    throw new LocalnetError(`the ${opts.engine} engine runs the cosmos chain; the evm chain runs on anvil`);
  }
  const engine = opts.engine ?? "embedded";
  const params = effectiveParams(scenario);
  const home = join(runDir, "node");
  progress(`run folder: ${runDir}`);
  const { keys } = await initHome({
    home,
    chainId: `pocval-${scenario.name}`.slice(0, 49),
    validators: scenario.validators.length,
    stakes: scenario.validators.map((v) => v.stake),
    participants: scenario.participants.length,
    timing: scenarioTiming(scenario.timing),
    params,
  });
  const keyFile = (name: string) => join(home, "keys", `${name}.json`);
  // On EVM the same key files serve: the agents and sidecars take the mnemonic's Ethereum HD path.
  const addressOf = (name: string) => {
    const k = keys.find((x) => x.name === name)!;
    return chain === "evm" ? evmAddressOf(k.mnemonic) : k.address;
  };
  const validators: ValidatorIdentity[] = scenario.validators.map((v, i) => ({
    name: v.name,
    address: addressOf(`validator-${i}`),
    stake: v.stake,
  }));
  const participants: ParticipantIdentity[] = scenario.participants.map((p, i) => ({
    name: p.name,
    address: addressOf(`participant-${i}`),
    strategy: p.strategy,
    expect: p.expect,
  }));

  let control: EngineControl;
  let reader: LocalnetChainReader;
  let evm: EvmNetwork | undefined;
  if (chain === "evm") {
    evm = await startEvmNetwork({
      scenario,
      params,
      stakes: validators.map((v) => ({ validator: v.address, stake: v.stake })),
      accounts: [...validators, ...participants].map((a) => a.address),
    });
    started.cleanups.push(evm.stop);
    const unsupported = async () => {
      throw new LocalnetError("crash and restart of a validator need the cometbft engine");
    };
    control = { engine: "anvil", rpcUrls: [evm.rpcUrl], crash: unsupported, restart: unsupported };
    reader = evm.reader;
    progress(`anvil up at ${evm.rpcUrl}; PocvalTally at ${evm.contract} (governance ${evm.governance})`);
  } else {
    control = await startEngine(engine, scenario, runDir, home, validators, supervisor, progress);
    const client = await race(supervisor, connectWhenUp(control.rpcUrls[0]!, 60_000));
    reader = cosmosReader(client);
    progress(
      `${engine === "cometbft" ? `${control.rpcUrls.length} CometBFT nodes` : "node"} up at ${control.rpcUrls.join(", ")}`,
    );
  }
  const { rpcUrls } = control;
  const rpcUrl = rpcUrls[0]!;
  // The chain section of the agents' and sidecars' configs on EVM (node.rpcUrl on cosmos).
  const evmChain = evm && { chain: { kind: "evm", rpcUrl: evm.rpcUrl, contract: evm.contract } };

  const external = new Map<string, string>();
  for (const machine of scenario.machines) {
    if (machine.url !== undefined) {
      await checkExternalBackend(machine.name, machine.url, params.model);
      external.set(machine.name, machine.url);
      continue;
    }
    const backend = await startReferenceBackend({
      profile: machine.profile!,
      machineId: machine.machineId ?? machine.name,
      model: params.model,
      seqLen: params.seqLen,
      kDim: params.kDim,
      noncesPerSecond: machine.noncesPerSecond > 0 ? machine.noncesPerSecond : undefined,
      queueLimit: 1024,
    });
    backends.set(machine.name, backend);
  }
  progress(
    `${backends.size} reference backends up${external.size > 0 ? `, ${external.size} external backends answer` : ""} (${scenario.machines.map((m) => `${m.name}: ${m.profile ?? m.url}`).join(", ")})`,
  );

  const isInt4 = (machine: string) =>
    (scenario.machines.find((m) => m.name === machine)!.profile ?? "").includes("int4");
  const urlOf = (machine: string): string => external.get(machine) ?? backends.get(machine)!.url;
  for (const [i, p] of scenario.participants.entries()) {
    const backendUrl = urlOf(p.machine);
    const config = {
      // Participants read the first node (any node would do; the crash tests take down others).
      node: { ...(!evm && { rpcUrl }), pollIntervalMs: Math.max(50, Math.floor(scenario.blockTimeMs / 2)) },
      ...evmChain,
      key: { keyFile: keyFile(`participant-${i}`) },
      // An int4 cheater on an INT4 machine computes there; on another machine it computes int4 in-process.
      backend: { url: backendUrl, ...(p.strategy === "int4" && isInt4(p.machine) && { int4Url: backendUrl }) },
      dataDir: join(runDir, "participants", p.name),
      generation: { maxNonces: p.nonces },
    };
    const file = join(runDir, "config", `participant-${p.name}.json`);
    await writeFile(file, JSON.stringify(config, null, 2));
    const args = ["participant", "start", "--config", file];
    if (p.strategy !== "honest") args.push("--cheat", p.strategy);
    supervisor.start(`participant-${p.name}`, args);
  }
  for (const [i, v] of scenario.validators.entries()) {
    const config = {
      node: {
        ...(!evm && { rpcUrl: rpcUrls[i % rpcUrls.length]! }),
        pollIntervalMs: Math.max(50, Math.floor(scenario.blockTimeMs / 2)),
      },
      ...evmChain,
      key: { keyFile: keyFile(`validator-${i}`) },
      backend: { urls: [urlOf(v.machine)] },
      ...(scenario.check !== undefined && { check: scenario.check }),
      journal: { path: join(runDir, "sidecars", `${v.name}.db`) },
      metrics: { port: 0 },
      log: { progress: "off" },
    };
    await mkdir(join(runDir, "sidecars"), { recursive: true });
    const file = join(runDir, "config", `sidecar-${v.name}.json`);
    await writeFile(file, JSON.stringify(config, null, 2));
    supervisor.start(`sidecar-${v.name}`, ["sidecar", "start", "--config", file]);
  }
  progress(`${scenario.participants.length} participants and ${scenario.validators.length} sidecars started`);

  // Stages count from the first start after every participant is registered.
  const timing = scenarioTiming(scenario.timing);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const registered = await race(supervisor, reader.registeredCount());
    if (registered >= participants.length) break;
    if (Date.now() > deadline) {
      throw new LocalnetError(`only ${registered} of ${participants.length} participants registered within 60 s`);
    }
    await race(supervisor, sleep(scenario.blockTimeMs));
  }
  const currentHeight = await reader.currentHeight();
  const firstStage = nextStageStart(timing, currentHeight);
  progress(
    `all participants registered at height ${currentHeight}; running stage${scenario.stages > 1 ? "s" : ""} from ${firstStage}`,
  );

  const stages: StageReport[] = [];
  const allVotes: VoteRecord[] = [];
  const voteGas: VoteBatchGas[] = [];
  for (let s = 0; s < scenario.stages; s++) {
    const stageHeight = firstStage + BigInt(s) * timing.stageLength;
    const onPhase = opts.onPhase;
    await race(
      supervisor,
      followStage(
        reader,
        stageHeight,
        scenario,
        progress,
        onPhase && ((phase) => onPhase({ stageHeight, phase, control })),
      ),
    );
    const tallies = await reader.tallies(stageHeight);
    const votes = await reader.votes(stageHeight);
    allVotes.push(...votes);
    if (evm) voteGas.push(...(await evm.voteGas(stageHeight)));
    stages.push(
      stageReport(stageHeight, tallies, votes, participants, {
        validators: validators.map((v) => v.address),
        sampleSize: params.sampleSize,
      }),
    );
  }
  const validatorReport = validatorRows(validators, allVotes, participants);
  const result: LocalnetResult = {
    stages,
    validators: validatorReport,
    expectations_met: stages.every((s) => s.tallies.every((t) => t.met)),
    wrong_verdict_probability: anyWrong,
    risks,
    run_dir: runDir,
    engine: control.engine,
    chain,
    ...(evm && { contract: { address: evm.contract, governance: evm.governance }, vote_gas: voteGas }),
    endpoints: {
      node_rpc: rpcUrl,
      node_rpcs: rpcUrls,
      backends: Object.fromEntries([...[...backends].map(([name, b]) => [name, b.url] as const), ...external]),
      keys_dir: join(home, "keys"),
      logs_dir: join(runDir, "logs"),
    },
  };
  return { result, control };
}

/** Starts the chain: the embedded node, or a CometBFT node and app per validator. */
async function startEngine(
  engine: Engine,
  scenario: Scenario,
  runDir: string,
  home: string,
  validators: readonly ValidatorIdentity[],
  supervisor: Supervisor,
  progress: (line: string) => void,
): Promise<EngineControl> {
  if (engine === "embedded") {
    const rpcPort = await freePort();
    supervisor.start("node", [
      "node",
      "start",
      "--home",
      home,
      "--rpc",
      `127.0.0.1:${rpcPort}`,
      "--block-time",
      String(scenario.blockTimeMs),
    ]);
    const unsupported = async () => {
      throw new LocalnetError("crash and restart of a validator need the cometbft engine");
    };
    return { engine, rpcUrls: [`http://127.0.0.1:${rpcPort}`], crash: unsupported, restart: unsupported };
  }
  const network = await initCometNetwork({
    dir: runDir,
    genesisPath: join(home, "genesis.json"),
    validators: validators.map((v) => ({ name: v.name, address: v.address, stake: BigInt(v.stake) })),
    blockTimeMs: scenario.blockTimeMs,
  });
  const find = (name: string) => {
    const v = network.validators.find((x) => x.name === name);
    if (!v) throw new LocalnetError(`no validator named ${name}`);
    return v;
  };
  for (const v of network.validators) await race(supervisor, startCometValidator(supervisor, v));
  progress(
    `CometBFT ${COMETBFT_VERSION}: ${network.validators.length} validators (node and app each), homes in ${runDir}`,
  );
  return {
    engine,
    rpcUrls: network.validators.map((v) => v.rpcUrl),
    crash: (name) => crashCometValidator(supervisor, find(name)),
    restart: (name) => startCometValidator(supervisor, find(name)),
  };
}

/** Waits for a child failure or the promise, whichever comes first. */
function race<T>(supervisor: Supervisor, promise: Promise<T>): Promise<T> {
  return Promise.race([promise, supervisor.failed]);
}

type PocvalClient = QueryClient & ReturnType<typeof setupPocvalExtension>;

/** The runner's reads on the cosmos chain: the pocval module's queries. */
function cosmosReader(client: PocvalClient): LocalnetChainReader {
  return {
    registeredCount: async () => (await client.pocval.participants()).length,
    stage: (h) => client.pocval.stage(h),
    currentHeight: async () => (await client.pocval.stage()).currentHeight,
    tallies: (h) => client.pocval.tallies(h),
    votes: (h) => client.pocval.votes(h),
  };
}

async function connectWhenUp(rpcUrl: string, timeoutMs: number): Promise<PocvalClient> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const comet = await connectComet(rpcUrl);
      const client = QueryClient.withExtensions(comet, setupPocvalExtension);
      await client.pocval.params();
      return client;
    } catch (err) {
      lastError = err;
      await sleep(200);
    }
  }
  throw new LocalnetError(`the node at ${rpcUrl} did not answer within ${timeoutMs / 1000} s: ${String(lastError)}`);
}

/** Prints the stage windows as they pass and resolves once the stage's tallies are final. */
async function followStage(
  reader: LocalnetChainReader,
  stageHeight: bigint,
  scenario: Scenario,
  progress: (line: string) => void,
  onPhase?: (phase: StagePhase) => Promise<void> | void,
): Promise<void> {
  const w = stageWindows(scenarioTiming(scenario.timing), stageHeight);
  const S = Number(stageHeight);
  const sampling = Number(w.samplingHeight);
  const end = Number(w.validationEnd);
  const phases: [number, string, StagePhase][] = [
    [S, `stage ${S}: commit window ${S}..${w.commitEnd}`, "commit"],
    [sampling, `stage ${S}: sampling block ${sampling}`, "sampling"],
    [Number(w.validationStart), `stage ${S}: validation window ${w.validationStart}..${end}`, "validation"],
  ];
  const timeoutMs = (end - S + scenario.timing.stageLength + 20) * scenario.blockTimeMs * 3 + 30_000;
  const deadline = Date.now() + timeoutMs;
  let announced = 0;
  let lastHeight = -1;
  for (;;) {
    const { stage, currentHeight } = await reader.stage(stageHeight);
    const height = Number(currentHeight);
    while (announced < phases.length && height >= phases[announced]![0]) {
      const [, line, phase] = phases[announced++]!;
      progress(line);
      await onPhase?.(phase);
    }
    if (height !== lastHeight && height < S) {
      if ((S - height) % 10 === 0) progress(`height ${height}: stage ${S} starts in ${S - height} blocks`);
    }
    if (height !== lastHeight && height > sampling && height <= end) {
      const votes = await reader.votes(stageHeight);
      if ((height - S) % 4 === 0) progress(`height ${height}: ${votes.length} votes so far, window closes at ${end}`);
    }
    lastHeight = height;
    if (stage.finalized) {
      progress(`stage ${S}: tallied at height ${end}`);
      return;
    }
    if (Date.now() > deadline)
      throw new LocalnetError(`stage ${S} was not tallied within ${Math.round(timeoutMs / 1000)} s (height ${height})`);
    await sleep(Math.max(50, scenario.blockTimeMs / 2));
  }
}
