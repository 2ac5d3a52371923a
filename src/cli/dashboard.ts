// `pocval dashboard`: the command group that serves the governance web page.
import { CommandError, intFlag, untilSignal } from "./args.js";
import { chainSourceFlags, evmSourceFlags } from "./chain-flags.js";
import { command, group } from "./command.js";

/** `pocval dashboard (--node URL | --evm-rpc URL --contract ADDR) [--port P] [--host H] [--stages N]`: until SIGINT/SIGTERM. */
export default group("dashboard", {
  "": command({
    summary: "serves the governance web page (stages, tallies, every validator's vote) until SIGINT or SIGTERM",
    flags: {
      node: {
        type: "string",
        arg: "URL",
        help: "the node's CometBFT RPC, e.g. http://127.0.0.1:26657 (or --evm-rpc)",
      },
      ...evmSourceFlags,
      port: { type: "string", arg: "P", help: "the TCP port (default 8080; 0: any free one)" },
      host: { type: "string", arg: "HOST", help: "the address to listen on (default 127.0.0.1)" },
      stages: { type: "string", arg: "N", help: "how many recent stages it shows (1..200, default 20)" },
    },
    async run(values) {
      const from = chainSourceFlags(values);
      const port = intFlag(values, "port", { min: 0, max: 65535, default: 8080 });
      const stages = intFlag(values, "stages", { min: 1, max: 200, default: 20 });
      const { startDashboard } = await import("../dashboard/index.js");
      let dashboard: Awaited<ReturnType<typeof startDashboard>>;
      try {
        dashboard = await startDashboard({
          ...from,
          host: values.host ?? "127.0.0.1",
          port,
          stages,
          log: (line) => process.stderr.write(`${line}\n`),
        });
      } catch (err) {
        throw new CommandError((err as Error).message, { cause: err });
      }
      process.stderr.write(
        `dashboard at ${dashboard.url} (${"nodeUrl" in from ? `node ${from.nodeUrl}` : `contract ${from.evm.contract} on ${from.evm.rpcUrl}`}); Ctrl-C stops it\n`,
      );
      await untilSignal();
      await dashboard.close();
    },
  }),
});
