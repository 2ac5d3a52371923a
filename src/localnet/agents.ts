// The agents of a localnet run: one participant agent per scenario participant and one sidecar per
// validator, each a supervised `pocval` child with its config written into the run folder.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { RunningMachines } from "./machines.js";
import type { NetworkIdentities, RunningChain } from "./network.js";
import { parseValidatorStrategy, type Scenario } from "./scenario.js";
import type { Supervisor } from "./supervisor.js";

/** Where the agents find the chain, their keys and their machines. */
export interface AgentContext {
  scenario: Scenario;
  runDir: string;
  ids: NetworkIdentities;
  chain: RunningChain;
  machines: RunningMachines;
  supervisor: Supervisor;
}

/** Starts every participant agent, then every sidecar. */
export async function startAgents(ctx: AgentContext, progress: (line: string) => void): Promise<void> {
  await startParticipants(ctx);
  await startSidecars(ctx);
  progress(`${ctx.scenario.participants.length} participants and ${ctx.scenario.validators.length} sidecars started`);
}

/** The chain section of the agents' and sidecars' configs on EVM (node.rpcUrl on cosmos). */
function evmChainSection({ evm }: RunningChain) {
  return evm && { chain: { kind: "evm", rpcUrl: evm.rpcUrl, contract: evm.contract } };
}

const pollIntervalMs = (scenario: Scenario) => Math.max(50, Math.floor(scenario.blockTimeMs / 2));

async function startParticipants({ scenario, runDir, ids, chain, machines, supervisor }: AgentContext): Promise<void> {
  const isInt4 = (machine: string) =>
    (scenario.machines.find((m) => m.name === machine)!.profile ?? "").includes("int4");
  const files: string[] = [];
  for (const [i, p] of scenario.participants.entries()) {
    const backendUrl = machines.urlOf(p.machine);
    const config = {
      // Participants read the first node (any node would do; the crash tests take down others).
      node: { ...(!chain.evm && { rpcUrl: chain.control.rpcUrls[0]! }), pollIntervalMs: pollIntervalMs(scenario) },
      ...evmChainSection(chain),
      key: { keyFile: ids.keyFile(`participant-${i}`) },
      // An int4 cheater on an INT4 machine computes there; on another machine it computes int4 in-process.
      backend: { url: backendUrl, ...(p.strategy === "int4" && isInt4(p.machine) && { int4Url: backendUrl }) },
      dataDir: join(runDir, "participants", p.name),
      generation: { maxNonces: p.nonces },
      ...(p.strategy !== "honest" && { cheat: { strategy: p.strategy } }),
    };
    const file = join(runDir, "config", `participant-${p.name}.json`);
    await writeFile(file, JSON.stringify(config, null, 2));
    files.push(file);
  }
  // One process per participant, or participantsPerProcess agents sharing one (logs: participants-FIRST-LAST).
  const per = scenario.participantsPerProcess;
  for (let first = 0; first < files.length; first += per) {
    const group = files.slice(first, first + per);
    const name =
      group.length === 1
        ? `participant-${scenario.participants[first]!.name}`
        : `participants-${first}-${first + group.length - 1}`;
    supervisor.start(name, ["participant", "start", ...group.flatMap((f) => ["--config", f])]);
  }
}

/**
 * A validator's scenario strategy as the sidecar's --adversary value (participants by address),
 * "offline" for a sidecar never started, undefined for an honest one.
 */
export function sidecarAdversary(strategy: string, ids: Pick<NetworkIdentities, "participants">): string | undefined {
  const s = parseValidatorStrategy(strategy);
  if (!s || s.kind === "honest") return undefined;
  if (s.kind === "offline" || s.kind === "lazy") return s.kind;
  const address = (name: string) => ids.participants.find((p) => p.name === name)!.address;
  return [...s.frame.map((p) => `frame:${address(p)}`), ...s.shield.map((p) => `shield:${address(p)}`)].join(",");
}

async function startSidecars({ scenario, runDir, ids, chain, machines, supervisor }: AgentContext): Promise<void> {
  const { rpcUrls } = chain.control;
  await mkdir(join(runDir, "sidecars"), { recursive: true });
  for (const [i, v] of scenario.validators.entries()) {
    const config = {
      node: {
        ...(!chain.evm && { rpcUrl: rpcUrls[i % rpcUrls.length]! }),
        pollIntervalMs: pollIntervalMs(scenario),
      },
      ...evmChainSection(chain),
      key: { keyFile: ids.keyFile(`validator-${i}`) },
      backend: { urls: [machines.urlOf(v.machine)] },
      ...(scenario.check !== undefined && { check: scenario.check }),
      journal: { path: join(runDir, "sidecars", `${v.name}.db`) },
      metrics: { port: 0 },
      log: { progress: "off" },
    };
    const file = join(runDir, "config", `sidecar-${v.name}.json`);
    await writeFile(file, JSON.stringify(config, null, 2));
    const adversary = sidecarAdversary(v.strategy, ids);
    if (adversary === "offline") continue;
    supervisor.start(`sidecar-${v.name}`, [
      "sidecar",
      "start",
      "--config",
      file,
      ...(adversary ? ["--adversary", adversary] : []),
    ]);
  }
}
