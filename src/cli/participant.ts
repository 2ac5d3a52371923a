// `pocval participant`: the command group that runs participant agents from their YAML or JSON configs.
import { CommandError, UsageError, untilSignal } from "./args.js";
import { command, group } from "./command.js";

type ParticipantModule = typeof import("../participant/index.js");
type Running = Awaited<ReturnType<ParticipantModule["startParticipant"]>>;

/** Starts one agent from its config file; bad input is a UsageError, a store or port failure a CommandError. */
async function startOne(participant: ParticipantModule, file: string, cheat: string | undefined): Promise<Running> {
  try {
    return await participant.startParticipant(await participant.loadParticipantConfig(file), { cheat });
  } catch (err) {
    // A config or key that does not read or validate is bad input; the store and the port are not.
    if (err instanceof participant.ParticipantConfigError || err instanceof participant.ParticipantKeyError) {
      throw new UsageError(err.message, { cause: err });
    }
    if (err instanceof participant.StoreError || err instanceof participant.PidLockedError) {
      throw new CommandError(err.message, { cause: err });
    }
    if (err instanceof Error && "code" in err && (err.code === "EADDRINUSE" || err.code === "EACCES")) {
      throw new CommandError(`proof API cannot listen: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

/**
 * `pocval participant start --config FILE [--config FILE ...] [--cheat STRATEGY]`: runs one agent per
 * config in this process (each its own key, store and proof API) until SIGINT/SIGTERM.
 */
export default group("participant", {
  start: command({
    summary: "runs participant agents (one per --config, in this process) until SIGINT or SIGTERM",
    flags: {
      config: {
        type: "string",
        arg: "FILE",
        multiple: true,
        help: "a participant's YAML or JSON config; repeat it to host several participants in one process",
        required: true,
      },
      cheat: {
        type: "string",
        arg: "STRATEGY",
        help: "misbehave on purpose, for tests (docs/cli.md lists them); with one --config only (else cheat.strategy in each config)",
      },
    },
    async run(values) {
      const signalled = untilSignal();
      const files = values.config ?? [];
      if (files.length === 0 || files.some((f) => f === "")) throw new UsageError("missing required flag --config");
      if (new Set(files).size !== files.length) throw new UsageError("--config: the same file is given twice");
      if (values.cheat !== undefined && files.length > 1) {
        throw new UsageError("--cheat: with several --config files, give each its cheat.strategy instead");
      }
      const participant = await import("../participant/index.js");
      try {
        participant.parseCheat(values.cheat);
      } catch (err) {
        if (err instanceof participant.InvalidCheatError)
          throw new UsageError(`--cheat: ${err.message}`, { cause: err });
        throw err;
      }
      // All at once: each start reads a key and opens a store and a port, and a busy machine makes that slow.
      const started = await Promise.allSettled(files.map((file) => startOne(participant, file, values.cheat)));
      const running = started.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
      const failed = started.find((r) => r.status === "rejected");
      if (failed) {
        await Promise.allSettled(running.map((r) => r.stop()));
        throw failed.reason;
      }
      await signalled;
      await Promise.all(running.map((r) => r.stop()));
    },
  }),
});
