import { startDashboard } from "../dashboard/index.js";
import { CommandError, intFlag, parseFlags, untilSignal } from "./args.js";
import { nodeFlag } from "./query.js";

/** `pocval dashboard --node URL [--port P] [--host H]`: the governance page until SIGINT/SIGTERM. */
export async function run(argv: string[]): Promise<void> {
  const { values } = parseFlags(argv, {
    node: { type: "string" },
    port: { type: "string" },
    host: { type: "string" },
    stages: { type: "string" },
  });
  const nodeUrl = nodeFlag(values);
  let dashboard: Awaited<ReturnType<typeof startDashboard>>;
  try {
    dashboard = await startDashboard({
      nodeUrl,
      host: values.host ?? "127.0.0.1",
      port: intFlag(values, "port", { min: 0, max: 65535, default: 8080 }),
      stages: intFlag(values, "stages", { min: 1, max: 200, default: 20 }),
      log: (line) => process.stderr.write(`${line}\n`),
    });
  } catch (err) {
    throw new CommandError((err as Error).message, { cause: err });
  }
  process.stderr.write(`dashboard at ${dashboard.url} (node ${nodeUrl}); Ctrl-C stops it\n`);
  await untilSignal();
  await dashboard.close();
}
