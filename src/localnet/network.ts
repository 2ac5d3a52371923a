// The chain side of a localnet run: the node home with every key, then the chain itself (the
// embedded node, a CometBFT node and app per validator, or anvil with PocvalTally) and the reader
// the runner follows its stages through.
import { join } from "node:path";
import { QueryClient } from "@cosmjs/stargate";
import { connectComet } from "@cosmjs/tendermint-rpc";
import { setupPocvalExtension } from "../client/index.js";
import type { Params } from "../gen/pocval/v1/params.js";
import { sleep } from "../net/index.js";
import { initHome } from "../node/index.js";
import { COMETBFT_VERSION, crashCometValidator, initCometNetwork, startCometValidator } from "./cometbft.js";
import { type EvmNetwork, evmAddressOf, type LocalnetChainReader, startEvmNetwork } from "./evm.js";
import { startBound } from "./ports.js";
import type { ParticipantIdentity, ValidatorIdentity } from "./report.js";
import { type Scenario, scenarioTiming } from "./scenario.js";
import type { Supervisor } from "./supervisor.js";
import { type ChainKind, type Engine, type EngineControl, LocalnetError } from "./types.js";

/** The node home and the identities of the run: who validates and who participates, at which address. */
export interface NetworkIdentities {
  home: string;
  keyFile(name: string): string;
  validators: ValidatorIdentity[];
  participants: ParticipantIdentity[];
}

/** The running chain: the controls tests act through, the runner's reader, anvil's details on EVM. */
export interface RunningChain {
  control: EngineControl;
  reader: LocalnetChainReader;
  evm?: EvmNetwork;
}

/** What the chain's start registers to stop later, and where its progress goes. */
export interface ChainStartContext {
  supervisor: Supervisor;
  /** Stops what the run started outside the supervisor (anvil). */
  cleanups: (() => Promise<void>)[];
  progress: (line: string) => void;
}

/** Writes the node home (genesis, keys) and names every validator's and participant's address. */
export async function initIdentities(
  scenario: Scenario,
  runDir: string,
  params: Params,
  chain: ChainKind,
): Promise<NetworkIdentities> {
  const home = join(runDir, "node");
  const { keys } = await initHome({
    home,
    chainId: `pocval-${scenario.name}`.slice(0, 49),
    validators: scenario.validators.length,
    stakes: scenario.validators.map((v) => v.stake),
    participants: scenario.participants.length,
    timing: scenarioTiming(scenario.timing),
    params,
  });
  // On EVM the same key files serve: the agents and sidecars take the mnemonic's Ethereum HD path.
  const addressOf = (name: string) => {
    const k = keys.find((x) => x.name === name)!;
    return chain === "evm" ? evmAddressOf(k.mnemonic) : k.address;
  };
  return {
    home,
    keyFile: (name) => join(home, "keys", `${name}.json`),
    validators: scenario.validators.map((v, i) => ({
      name: v.name,
      address: addressOf(`validator-${i}`),
      stake: v.stake,
    })),
    participants: scenario.participants.map((p, i) => ({
      name: p.name,
      address: addressOf(`participant-${i}`),
      strategy: p.strategy,
      expect: p.expect,
    })),
  };
}

/** Starts the chain the run asks for and waits until it answers. */
export async function startChain(
  chain: ChainKind,
  engine: Engine,
  scenario: Scenario,
  runDir: string,
  params: Params,
  ids: NetworkIdentities,
  ctx: ChainStartContext,
): Promise<RunningChain> {
  if (chain === "evm") return startEvmChain(scenario, params, ids, ctx);
  const control = await startEngine(engine, scenario, runDir, ids.home, ids.validators, ctx);
  const client = await race(ctx.supervisor, connectWhenUp(control.rpcUrls[0]!, 60_000));
  ctx.progress(
    `${engine === "cometbft" ? `${control.rpcUrls.length} CometBFT nodes` : "node"} up at ${control.rpcUrls.join(", ")}`,
  );
  return { control, reader: cosmosReader(client) };
}

async function startEvmChain(
  scenario: Scenario,
  params: Params,
  ids: NetworkIdentities,
  ctx: ChainStartContext,
): Promise<RunningChain> {
  const evm = await startEvmNetwork({
    scenario,
    params,
    stakes: ids.validators.map((v) => ({ validator: v.address, stake: v.stake })),
    accounts: [...ids.validators, ...ids.participants].map((a) => a.address),
  });
  ctx.cleanups.push(evm.stop);
  ctx.progress(`anvil up at ${evm.rpcUrl}; PocvalTally at ${evm.contract} (governance ${evm.governance})`);
  return {
    control: { engine: "anvil", rpcUrls: [evm.rpcUrl], crash: cometbftOnly, restart: cometbftOnly },
    reader: evm.reader,
    evm,
  };
}

async function cometbftOnly(): Promise<void> {
  throw new LocalnetError("crash and restart of a validator need the cometbft engine");
}

/** Starts the chain: the embedded node, or a CometBFT node and app per validator. */
async function startEngine(
  engine: Engine,
  scenario: Scenario,
  runDir: string,
  home: string,
  validators: readonly ValidatorIdentity[],
  { supervisor, progress }: ChainStartContext,
): Promise<EngineControl> {
  if (engine === "embedded") {
    const rpcPort = await startBound({
      supervisor,
      name: "node",
      launch: (port) =>
        supervisor.start(
          "node",
          ["node", "start", "--home", home, "--rpc", `127.0.0.1:${port}`, "--block-time", String(scenario.blockTimeMs)],
          {},
          { probation: true },
        ),
    });
    return { engine, rpcUrls: [`http://127.0.0.1:${rpcPort}`], crash: cometbftOnly, restart: cometbftOnly };
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
  for (const v of network.validators) await race(supervisor, startCometValidator(supervisor, v, network));
  progress(
    `CometBFT ${COMETBFT_VERSION}: ${network.validators.length} validators (node and app each), homes in ${runDir}`,
  );
  return {
    engine,
    rpcUrls: network.validators.map((v) => v.rpcUrl),
    crash: (name) => crashCometValidator(supervisor, find(name)),
    restart: (name) => startCometValidator(supervisor, find(name), network),
  };
}

/** Waits for a child failure or the promise, whichever comes first. */
export function race<T>(supervisor: Supervisor, promise: Promise<T>): Promise<T> {
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
