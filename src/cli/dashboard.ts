// `pocval dashboard`: the command group that serves the governance web page.
import { CommandError, intFlag, UsageError, untilSignal } from "./args.js";
import { command, group } from "./command.js";
import { nodeFlag } from "./query.js";

/** Where to read: --node URL, or --evm-rpc URL with --contract ADDR (exactly one of the two). */
function sourceFlags(
  values: Record<string, unknown>,
): { nodeUrl: string } | { evm: { rpcUrl: string; contract: string } } {
  const rpc = values["evm-rpc"];
  const contract = values.contract;
  if (rpc === undefined) {
    if (contract !== undefined) throw new UsageError("--contract goes with --evm-rpc");
    if (values.node === undefined) throw new UsageError("give --node URL (Cosmos) or --evm-rpc URL --contract ADDR");
    return { nodeUrl: nodeFlag(values) };
  }
  if (values.node !== undefined) throw new UsageError("give either --node or --evm-rpc, not both");
  if (typeof rpc !== "string" || !/^https?:\/\/\S+$/.test(rpc)) {
    throw new UsageError(`--evm-rpc must be an http(s) URL of an EVM node's JSON-RPC, got "${String(rpc)}"`);
  }
  if (contract === undefined) throw new UsageError("--evm-rpc needs --contract ADDR (the PocvalTally's 0x address)");
  if (typeof contract !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(contract)) {
    throw new UsageError(`--contract must be the 0x address of a deployed PocvalTally, got "${String(contract)}"`);
  }
  return { evm: { rpcUrl: rpc, contract } };
}

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
      "evm-rpc": {
        type: "string",
        arg: "URL",
        help: "an EVM node's JSON-RPC (http/https): read the PocvalTally contract instead",
      },
      contract: { type: "string", arg: "ADDR", help: "the PocvalTally contract's 0x address (with --evm-rpc)" },
      port: { type: "string", arg: "P", help: "the TCP port (default 8080; 0: any free one)" },
      host: { type: "string", arg: "HOST", help: "the address to listen on (default 127.0.0.1)" },
      stages: { type: "string", arg: "N", help: "how many recent stages it shows (1..200, default 20)" },
    },
    async run(values) {
      const from = sourceFlags(values);
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
