// The table of command groups and the top-level usage; each group module is loaded only when named.
import type { Group } from "./command.js";

/** A group module: its default export is the Group (see command.ts). */
interface GroupModule {
  default: Group;
}

// Each group is imported only when named, so that `pocval stats` loads neither the node nor
// the sidecar, nor zod or cosmjs: keep the group files' own imports as narrow as that.
export const groups: Record<string, { summary: string; load: () => Promise<GroupModule> }> = {
  stats: { summary: "binomial test and detection power (JSON)", load: () => import("./stats.js") },
  merkle: { summary: "root, prove and verify over an artifacts file (JSON)", load: () => import("./merkle.js") },
  sample: { summary: "a validator's sampled leaf indices (JSON)", load: () => import("./sample.js") },
  audit: { summary: "re-check a fault vote's evidence offline (JSON)", load: () => import("./audit.js") },
  slots: { summary: "a participant's validation slot holders (JSON)", load: () => import("./slots.js") },
  node: { summary: "init and start the localnet node", load: () => import("./node.js") },
  abci: { summary: "the app as an ABCI server for CometBFT", load: () => import("./abci.js") },
  query: { summary: "read the pocval module", load: () => import("./query.js") },
  tx: { summary: "send pocval messages by hand", load: () => import("./tx.js") },
  backend: { summary: "the CPU reference PoC backend", load: () => import("./backend.js") },
  participant: { summary: "a participant agent", load: () => import("./participant.js") },
  sidecar: { summary: "a validator sidecar", load: () => import("./sidecar.js") },
  localnet: { summary: "a whole stage end to end on loopback", load: () => import("./localnet.js") },
  collect: { summary: "collect vectors from backends for calibration", load: () => import("./collect.js") },
  calibrate: { summary: "distance analysis, threshold and plots", load: () => import("./calibrate.js") },
  simulate: { summary: "the report's simulations", load: () => import("./simulate.js") },
  evm: { summary: "deploy and govern the PocvalTally contract on an EVM chain", load: () => import("./evm.js") },
  plan: { summary: "the cheapest validation design for an error budget (exact)", load: () => import("./plan.js") },
  dashboard: { summary: "the governance web page (tallies, votes, history)", load: () => import("./dashboard.js") },
};

/** `pocval --help`: every group with its summary. */
export function usage(): string {
  const width = Math.max(...Object.keys(groups).map((n) => n.length));
  const lines = Object.entries(groups).map(([name, g]) => `  ${name.padEnd(width)}  ${g.summary}`);
  return `usage: pocval <command> [...]\n       pocval --version\n\ncommands:\n${lines.join("\n")}\n\n"pocval <command> --help" lists a command's flags; docs/cli.md in the project describes them all.`;
}
