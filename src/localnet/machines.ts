// The scenario's GPU machines of a localnet run: a reference backend per emulated machine, or a
// check that an external PoC backend answers and serves the scenario's model. Each reference
// backend runs on its own thread (backend-thread.ts), as each real machine computes on its own GPU.
import type { Params } from "../gen/pocval/v1/params.js";
import { type BackendThread, startBackendThread } from "./backend-thread.js";
import { checkExternalBackend } from "./external.js";
import type { Scenario } from "./scenario.js";

/** The machines as the agents and sidecars reach them. */
export interface RunningMachines {
  /** The PoC API URL of the named machine. */
  urlOf(machine: string): string;
  /** Every machine's URL by name (the run's endpoints). */
  urls(): Record<string, string>;
}

/**
 * Starts a reference backend per machine with a profile (into `backends`, which the caller stops)
 * and checks every machine with a URL.
 */
export async function startMachines(
  scenario: Scenario,
  params: Params,
  backends: Map<string, BackendThread>,
  progress: (line: string) => void,
): Promise<RunningMachines> {
  const external = new Map<string, string>();
  const starting: Promise<void>[] = [];
  for (const machine of scenario.machines) {
    if (machine.url === undefined) continue;
    await checkExternalBackend(machine.name, machine.url, params.model);
    external.set(machine.name, machine.url);
  }
  for (const machine of scenario.machines) {
    if (machine.url !== undefined) continue;
    // All threads start at once; each lands in `backends` as it listens, so the caller stops it.
    const started = startBackendThread({
      profile: machine.profile!,
      machineId: machine.machineId ?? machine.name,
      model: params.model,
      seqLen: params.seqLen,
      kDim: params.kDim,
      noncesPerSecond: machine.noncesPerSecond > 0 ? machine.noncesPerSecond : undefined,
      queueLimit: 1024,
    }).then((backend) => {
      backends.set(machine.name, backend);
    });
    starting.push(started);
  }
  const failed = (await Promise.allSettled(starting)).find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
  progress(
    `${backends.size} reference backends up${external.size > 0 ? `, ${external.size} external backends answer` : ""} (${scenario.machines.map((m) => `${m.name}: ${m.profile ?? m.url}`).join(", ")})`,
  );
  return {
    urlOf: (machine) => external.get(machine) ?? backends.get(machine)!.url,
    urls: () => Object.fromEntries([...[...backends].map(([name, b]) => [name, b.url] as const), ...external]),
  };
}
