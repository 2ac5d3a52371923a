// `pocval localnet run`: the command around src/localnet: it checks the flags, runs the scenario,
// prints the report and, with --keep, leaves the network running with a dashboard until Ctrl-C.
import { rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Engine, LocalnetResult, LocalnetRun, RunOptions, Scenario } from "../localnet/index.js";
import { CommandError, printJson, UsageError, untilSignal } from "./args.js";
import { command, group } from "./command.js";

/** The localnet module, imported when the command runs (it is heavy for the CLI's other commands). */
type LocalnetModule = typeof import("../localnet/index.js");

const DEFAULT_SCENARIO = fileURLToPath(new URL("../../localnet/scenarios/default.json", import.meta.url));

/** `pocval localnet run`: a whole stage end to end on loopback; exits 1 when a verdict is not the expected one. */
export default group("localnet", {
  run: command({
    summary: "a whole stage end to end on loopback; exits 1 when a verdict is not the scenario's expected one",
    flags: {
      scenario: { type: "string", arg: "FILE", help: "the scenario (default: localnet/scenarios/default.json)" },
      json: { type: "boolean", help: "print one JSON object (the endpoints only with --keep)" },
      keep: { type: "boolean", help: "leave the network running until Ctrl-C and print its endpoints" },
      engine: {
        type: "string",
        arg: "ENGINE",
        help: "embedded (default: the single-process node) or cometbft (a CometBFT node and app per validator)",
      },
      chain: {
        type: "string",
        arg: "CHAIN",
        help: "cosmos (default: the pocval module) or evm (the PocvalTally contract on anvil)",
      },
    },
    async run(values) {
      const localnet = await import("../localnet/index.js");
      const { scenario, options } = await runSettings(localnet, values);
      const keep = values.keep === true;
      const started = Date.now();
      const outcome = await runOrFail(localnet, scenario, { keep, ...options });
      const { result } = outcome;
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      // A run that went as expected leaves nothing behind; otherwise its folder (logs, homes) stays for diagnosis.
      const removeRunDir = !keep && result.expectations_met;
      if (removeRunDir) await rm(result.run_dir, { recursive: true, force: true });
      if (values.json) {
        // The endpoints answer only while the network runs, that is with --keep.
        const { endpoints, ...rest } = result;
        printJson({ ...rest, ...(keep ? { endpoints } : {}), seconds: Number(seconds) });
      } else {
        const where = removeRunDir ? "run folder removed" : `logs in ${result.endpoints.logs_dir}`;
        await printReport(localnet, result, `${seconds} s; ${where}`);
      }
      if (keep) await keepRunning(result, outcome);
      if (!result.expectations_met) process.exitCode = 1;
    },
  }),
});

/** The scenario and the run's engine or chain, from the flags (usage errors name the flag). */
async function runSettings(
  localnet: LocalnetModule,
  values: { scenario?: string; engine?: string; chain?: string },
): Promise<{ scenario: Scenario; options: Pick<RunOptions, "engine" | "chain"> }> {
  const { CHAINS, ENGINES, loadScenario, ScenarioError } = localnet;
  const engine = (values.engine ?? "embedded") as Engine;
  if (!ENGINES.includes(engine)) {
    throw new UsageError(`--engine must be one of ${ENGINES.join(", ")}, got "${values.engine}"`);
  }
  const chain = (values.chain ?? "cosmos") as (typeof CHAINS)[number];
  if (!CHAINS.includes(chain)) {
    throw new UsageError(`--chain must be one of ${CHAINS.join(", ")}, got "${values.chain}"`);
  }
  if (chain === "evm" && values.engine !== undefined) {
    throw new UsageError(
      `--engine ${values.engine} does not apply to --chain evm: the engines run the cosmos chain, the evm chain runs on anvil`,
    );
  }
  try {
    const scenario = await loadScenario(values.scenario ?? DEFAULT_SCENARIO);
    return { scenario, options: chain === "evm" ? { chain } : { engine } };
  } catch (err) {
    if (err instanceof ScenarioError) throw new UsageError(`--scenario: ${err.message}`, { cause: err });
    throw err;
  }
}

/** Runs the scenario; a failure of the run itself (a child, the chain, a timeout) exits 1 with its message. */
async function runOrFail(localnet: LocalnetModule, scenario: Scenario, options: RunOptions): Promise<LocalnetRun> {
  const { AnvilError, ChildFailedError, CometbftError, LocalnetError, runLocalnet } = localnet;
  // Ctrl-C or SIGTERM during the run stops every child before the command exits.
  const interrupt = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => interrupt.abort(signal);
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    return await runLocalnet(scenario, {
      ...options,
      signal: interrupt.signal,
      // A child that dies while the network is kept running is reported as a normal run would,
      // and the command exits 1 once stopped.
      onChildFailure: (failure) => {
        process.stderr.write(`pocval localnet: ${failure.message}\n`);
        process.exitCode = 1;
      },
    });
  } catch (err) {
    if (
      err instanceof ChildFailedError ||
      err instanceof LocalnetError ||
      err instanceof CometbftError ||
      err instanceof AnvilError
    ) {
      const by = interrupt.signal.aborted ? `${String(interrupt.signal.reason)}: ` : "";
      throw new CommandError(`${by}${err.message}`, { cause: err });
    }
    throw err;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** The report as tables, the run's risk, the EVM gas, and one closing line with `tail` (time, folder). */
async function printReport(localnet: LocalnetModule, result: LocalnetResult, tail: string): Promise<void> {
  const { formatProbability } = await import("../analysis/index.js");
  process.stdout.write(`${localnet.renderReport(result.stages, result.validators)}\n\n`);
  process.stdout.write(
    `probability of any wrong verdict in this run (exact, validators independent): ${formatProbability(result.wrong_verdict_probability)}\n`,
  );
  if (result.vote_gas && result.vote_gas.length > 0) {
    const gas = result.vote_gas.map((b) => b.gas_used).sort((a, b) => a - b);
    const votes = result.vote_gas.reduce((n, b) => n + b.votes, 0);
    const total = gas.reduce((a, b) => a + b, 0);
    process.stdout.write(
      `vote transactions on the contract: ${gas.length} carrying ${votes} votes, gas per transaction ${gas[0]}..${gas[gas.length - 1]} (mean ${Math.round(total / gas.length)}), ${Math.round(total / votes)} per vote\n`,
    );
  }
  process.stdout.write(
    `${result.expectations_met ? "every verdict is the expected one" : "SOME VERDICTS DIFFER FROM THE SCENARIO'S EXPECTATIONS"} (${result.chain === "evm" ? "chain evm on anvil" : `engine ${result.engine}`}, ${tail})\n`,
  );
}

/** --keep: a dashboard (cosmos chain), the endpoints on stderr, then waits for Ctrl-C and stops everything. */
async function keepRunning(result: LocalnetResult, outcome: LocalnetRun): Promise<void> {
  const e = result.endpoints;
  const { startDashboard } = await import("../dashboard/index.js");
  // The dashboard reads the pocval module: not on the evm chain.
  const dashboard =
    result.chain === "evm"
      ? undefined
      : await startDashboard({ nodeUrl: e.node_rpc }).catch((err: Error) => {
          process.stderr.write(`dashboard not started: ${err.message}\n`);
          return undefined;
        });
  const stage = result.stages[0]?.stage_height ?? 0;
  process.stderr.write(
    `\nthe network keeps running (Ctrl-C stops it):\n${e.node_rpcs.map((u) => `  node RPC  ${u}`).join("\n")}\n  keys      ${e.keys_dir}\n  logs      ${e.logs_dir}\n` +
      `${Object.entries(e.backends)
        .map(([n, u]) => `  backend   ${n}  ${u}`)
        .join("\n")}\n` +
      `${dashboard ? `  dashboard ${dashboard.url}\n` : ""}` +
      (result.contract
        ? `  contract  ${result.contract.address} (governance ${result.contract.governance})\ntry: npx pocval query tallies --evm-rpc ${e.node_rpc} --contract ${result.contract.address} --stage-height ${stage}\n`
        : `try: npx pocval query tallies --node ${e.node_rpc} --stage-height ${stage}\n`),
  );
  await untilSignal();
  await dashboard?.close();
  await outcome.stop();
}
