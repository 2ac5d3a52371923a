// The `pocval` entry point: routes the first argument to its command group (see groups.ts).

import { packageVersion } from "../net/index.js";
import { CommandError, UsageError } from "./args.js";
import { runGroup } from "./command.js";
import { groups, usage } from "./groups.js";

async function main(args: string[]): Promise<number> {
  // `pocval help stats` is `pocval stats --help`.
  const argv = args[0] === "help" && args.length > 1 ? [...args.slice(1), "--help"] : args;
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-v" || name === "version") {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const group = Object.hasOwn(groups, name) ? groups[name] : undefined;
  if (!group) {
    process.stderr.write(`pocval: unknown command "${name}"\n${usage()}\n`);
    return 2;
  }
  try {
    await runGroup((await group.load()).default, rest);
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
