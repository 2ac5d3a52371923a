// `pocval participant`: the command group that runs a participant agent from its YAML or JSON config.
import { CommandError, requireString, UsageError, untilSignal } from "./args.js";
import { command, group } from "./command.js";

/** `pocval participant start --config FILE [--cheat STRATEGY]`: runs a participant agent until SIGINT/SIGTERM. */
export default group("participant", {
  start: command({
    summary: "runs a participant agent until SIGINT or SIGTERM",
    flags: {
      config: { type: "string", arg: "FILE", help: "the participant's YAML or JSON config", required: true },
      cheat: { type: "string", arg: "STRATEGY", help: "misbehave on purpose, for tests (docs/cli.md lists them)" },
    },
    async run(values) {
      const config = requireString(values, "config");
      const participant = await import("../participant/index.js");
      try {
        participant.parseCheat(values.cheat);
      } catch (err) {
        if (err instanceof participant.InvalidCheatError)
          throw new UsageError(`--cheat: ${err.message}`, { cause: err });
        throw err;
      }
      let running: Awaited<ReturnType<typeof participant.startParticipant>>;
      try {
        running = await participant.startParticipant(await participant.loadParticipantConfig(config), {
          cheat: values.cheat,
        });
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
      await untilSignal();
      await running.stop();
    },
  }),
});
