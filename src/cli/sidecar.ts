// `pocval sidecar`: the command group that runs a validator sidecar from its config.
import { CommandError, requireString, UsageError, untilSignal } from "./args.js";
import { command, group } from "./command.js";

/** `pocval sidecar start --config FILE`: runs a validator sidecar until SIGINT or SIGTERM. */
export default group("sidecar", {
  start: command({
    summary: "runs a validator sidecar until SIGINT or SIGTERM",
    flags: {
      config: { type: "string", arg: "FILE", help: "the sidecar's YAML or JSON config", required: true },
    },
    async run(values) {
      const file = requireString(values, "config");
      const { loadSidecarConfig, MetricsServerError, SidecarConfigError, SidecarKeyError, startSidecar } = await import(
        "../sidecar/index.js"
      );
      let sidecar: Awaited<ReturnType<typeof startSidecar>>;
      try {
        sidecar = await startSidecar(await loadSidecarConfig(file));
      } catch (err) {
        // A config or key that does not read or validate is bad input; a port that cannot be bound is not.
        if (err instanceof SidecarConfigError || err instanceof SidecarKeyError) {
          throw new UsageError(err.message, { cause: err });
        }
        if (err instanceof MetricsServerError) throw new CommandError(err.message, { cause: err });
        throw err;
      }
      await untilSignal();
      await sidecar.stop();
      // Everything is flushed and closed; a websocket the node has not yet acknowledged closing
      // must not keep the process alive.
      process.exit(0);
    },
  }),
});
