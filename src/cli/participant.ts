import { CommandError, parseFlags, UsageError, untilSignal } from "./args.js";

const USAGE = "usage: pocval participant start --config FILE [--cheat STRATEGY]";

/** `pocval participant start --config FILE [--cheat STRATEGY]`: runs a participant agent until SIGINT/SIGTERM. */
export async function run(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub !== "start") throw new UsageError(sub === undefined ? USAGE : `unknown subcommand "${sub}"; ${USAGE}`);
  const { values } = parseFlags(rest, { config: { type: "string" }, cheat: { type: "string" } });
  if (typeof values.config !== "string" || values.config === "")
    throw new UsageError(`missing required flag --config; ${USAGE}`);
  const participant = await import("../participant/index.js");
  try {
    participant.parseCheat(values.cheat);
  } catch (err) {
    if (err instanceof participant.InvalidCheatError) throw new UsageError(`--cheat: ${err.message}`);
    throw err;
  }
  let running: Awaited<ReturnType<typeof participant.startParticipant>>;
  try {
    const config = await participant.loadParticipantConfig(values.config);
    running = await participant.startParticipant(config, { cheat: values.cheat });
  } catch (err) {
    if (
      err instanceof participant.ParticipantConfigError ||
      err instanceof participant.ParticipantKeyError ||
      err instanceof participant.StoreError ||
      err instanceof participant.PidLockedError
    ) {
      throw new CommandError(err.message);
    }
    if (err instanceof Error && "code" in err && (err.code === "EADDRINUSE" || err.code === "EACCES")) {
      throw new CommandError(`proof API cannot listen: ${err.message}`);
    }
    throw err;
  }
  await untilSignal();
  await running.stop();
}
