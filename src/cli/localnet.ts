import { fileURLToPath } from "node:url";
import { formatProbability } from "../analysis/index.js";
import { startDashboard } from "../dashboard/index.js";
import {
  ChildFailedError,
  LocalnetError,
  loadScenario,
  renderReport,
  runLocalnet,
  ScenarioError,
} from "../localnet/index.js";
import { CommandError, parseFlags, printJson, UsageError, untilSignal } from "./args.js";

const DEFAULT_SCENARIO = fileURLToPath(new URL("../../localnet/scenarios/default.json", import.meta.url));
const USAGE = "usage: pocval localnet run [--scenario FILE] [--json] [--keep]";

/** `pocval localnet run`: a whole stage end to end on loopback; exits 1 when a verdict is not the expected one. */
export async function run(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub !== "run") throw new UsageError(sub === undefined ? USAGE : `unknown subcommand "${sub}"; ${USAGE}`);
  const { values } = parseFlags(rest, {
    scenario: { type: "string" },
    json: { type: "boolean" },
    keep: { type: "boolean" },
  });
  let scenario: Awaited<ReturnType<typeof loadScenario>>;
  try {
    scenario = await loadScenario(values.scenario ?? DEFAULT_SCENARIO);
  } catch (err) {
    if (err instanceof ScenarioError) throw new UsageError(`--scenario: ${err.message}`);
    throw err;
  }
  const started = Date.now();
  let outcome: Awaited<ReturnType<typeof runLocalnet>>;
  try {
    outcome = await runLocalnet(scenario, { keep: values.keep === true });
  } catch (err) {
    if (err instanceof ChildFailedError || err instanceof LocalnetError) throw new CommandError(err.message);
    throw err;
  }
  const { result } = outcome;
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (values.json) {
    printJson({ ...result, seconds: Number(seconds) });
  } else {
    process.stdout.write(`${renderReport(result.stages, result.validators)}\n\n`);
    process.stdout.write(
      `probability of any wrong verdict in this run (exact, validators independent): ${formatProbability(result.wrong_verdict_probability)}\n`,
    );
    process.stdout.write(
      `${result.expectations_met ? "every verdict is the expected one" : "SOME VERDICTS DIFFER FROM THE SCENARIO'S EXPECTATIONS"} (${seconds} s; logs in ${result.endpoints.logs_dir})\n`,
    );
  }
  if (values.keep) {
    const e = result.endpoints;
    const dashboard = await startDashboard({ nodeUrl: e.node_rpc }).catch((err: Error) => {
      process.stderr.write(`dashboard not started: ${err.message}\n`);
      return undefined;
    });
    process.stderr.write(
      `\nthe network keeps running (Ctrl-C stops it):\n  node RPC  ${e.node_rpc}\n  keys      ${e.keys_dir}\n  logs      ${e.logs_dir}\n` +
        `${Object.entries(e.backends)
          .map(([n, u]) => `  backend   ${n}  ${u}`)
          .join("\n")}\n` +
        `${dashboard ? `  dashboard ${dashboard.url}\n` : ""}` +
        `try: npx pocval query tallies --node ${e.node_rpc} --stage-height ${result.stages[0]?.stage_height ?? 0}\n`,
    );
    await untilSignal();
    await dashboard?.close();
    await outcome.stop();
  }
  if (!result.expectations_met) process.exitCode = 1;
}
