import { CommandError, UsageError } from "./args.js";

/** A command group: receives the arguments after its name. */
export type CommandGroup = (argv: string[]) => Promise<void>;

// Loaded on demand so that `pocval stats` does not pay for the node or the sidecar.
const groups: Record<string, { summary: string; load: () => Promise<{ run: CommandGroup }> }> = {
  stats: { summary: "binomial test and detection power (JSON)", load: () => import("./stats.js") },
  merkle: { summary: "root, prove and verify over an artifacts file (JSON)", load: () => import("./merkle.js") },
  sample: { summary: "a validator's sampled leaf indices (JSON)", load: () => import("./sample.js") },
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
  dashboard: { summary: "the governance web page (tallies, votes, history)", load: () => import("./dashboard.js") },
};

function usage(): string {
  const width = Math.max(...Object.keys(groups).map((n) => n.length));
  const lines = Object.entries(groups).map(([name, g]) => `  ${name.padEnd(width)}  ${g.summary}`);
  return `usage: pocval <command> [...]\n\ncommands:\n${lines.join("\n")}\n\nSee docs/cli.md in the project for every flag.`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  const group = groups[name];
  if (!group) {
    process.stderr.write(`pocval: unknown command "${name}"\n${usage()}\n`);
    return 2;
  }
  try {
    const { run } = await group.load();
    await run(rest);
    // A command may report a result-level failure (e.g. an unexpected verdict) through exitCode.
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`pocval ${name}: ${err.message}\n`);
      return 2;
    }
    if (err instanceof CommandError) {
      process.stderr.write(`pocval ${name}: ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`pocval ${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
