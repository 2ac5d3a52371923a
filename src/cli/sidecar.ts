import {
  loadSidecarConfig,
  MetricsServerError,
  SidecarConfigError,
  SidecarKeyError,
  startSidecar,
} from "../sidecar/index.js";
import { CommandError, parseFlags, requireString, UsageError, untilSignal } from "./args.js";

const USAGE = "usage: pocval sidecar start --config FILE";

/** `pocval sidecar start --config FILE`: runs a validator sidecar until SIGINT or SIGTERM. */
export async function run(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === "--help" || sub === "-h") {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (sub !== "start") throw new UsageError(sub === undefined ? USAGE : `unknown subcommand "${sub}"\n${USAGE}`);
  const { values } = parseFlags(rest, { config: { type: "string" } });
  const file = requireString(values, "config");
  let sidecar: Awaited<ReturnType<typeof startSidecar>>;
  try {
    sidecar = await startSidecar(await loadSidecarConfig(file));
  } catch (err) {
    if (err instanceof SidecarConfigError || err instanceof SidecarKeyError || err instanceof MetricsServerError) {
      throw new CommandError(err.message);
    }
    throw err;
  }
  await untilSignal();
  await sidecar.stop();
  // Everything is flushed and closed; a websocket the node has not yet acknowledged closing
  // must not keep the process alive.
  process.exit(0);
}
