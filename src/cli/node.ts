// `pocval node`: the command group of the embedded single-sequencer node (init, start).
import { AppError } from "../app/index.js";
import { parseHostPort } from "../net/index.js";
import { CHAIN_ID_PATTERN, HomeError, initHome, NodeError, startNode } from "../node/index.js";
import { CommandError, intFlag, printJson, requireString, UsageError, untilSignal } from "./args.js";
import { command, type FlagValues, group } from "./command.js";

function stakesFlag(raw: unknown): bigint[] | undefined {
  if (raw === undefined) return undefined;
  const parts = String(raw).split(",");
  return parts.map((p, i) => {
    if (!/^\d{1,18}$/.test(p.trim()) || BigInt(p.trim()) === 0n) {
      throw new UsageError(`--stakes: entry ${i} ("${p}") must be a positive integer`);
    }
    return BigInt(p.trim());
  });
}

const initFlags = {
  home: { type: "string", arg: "DIR", help: "the new home (must be absent or empty)", required: true },
  "chain-id": { type: "string", arg: "ID", help: "the chain id" },
  validators: { type: "string", arg: "N", help: "how many validators (1..200)" },
  stakes: { type: "string", arg: "A,B,...", help: "each validator's stake (one per validator)" },
  participants: { type: "string", arg: "M", help: "how many participant keys (0..1000)" },
  json: { type: "boolean", help: "print one JSON object" },
} as const;

async function init(values: FlagValues<typeof initFlags>): Promise<void> {
  const home = requireString(values, "home");
  const stakes = stakesFlag(values.stakes);
  const validators = values.validators === undefined ? undefined : intFlag(values, "validators", { min: 1, max: 200 });
  if (stakes && validators !== undefined && stakes.length !== validators) {
    throw new UsageError(`--stakes has ${stakes.length} entries but --validators is ${validators}`);
  }
  const participants =
    values.participants === undefined ? undefined : intFlag(values, "participants", { min: 0, max: 1000 });
  const chainId = values["chain-id"];
  if (chainId !== undefined && !CHAIN_ID_PATTERN.test(chainId)) {
    throw new UsageError(`--chain-id must be 1-49 letters, digits, '.', '_' or '-', got "${chainId}"`);
  }
  let result: Awaited<ReturnType<typeof initHome>>;
  try {
    result = await initHome({ home, chainId, validators, stakes, participants });
  } catch (err) {
    if (err instanceof HomeError) throw new CommandError(err.message, { cause: err });
    throw err;
  }
  const keys = result.keys.map((k) => ({ name: k.name, address: k.address, file: `${home}/keys/${k.name}.json` }));
  if (values.json) {
    printJson({ genesis: result.genesisPath, keys });
    return;
  }
  process.stdout.write(`wrote ${result.genesisPath}\n`);
  const width = Math.max(...keys.map((k) => k.name.length));
  for (const k of keys) process.stdout.write(`  ${k.name.padEnd(width)}  ${k.address}  ${k.file}\n`);
}

const startFlags = {
  home: { type: "string", arg: "DIR", help: "the home `node init` wrote", required: true },
  rpc: { type: "string", arg: "HOST:PORT", help: "where the CometBFT-compatible RPC listens" },
  "block-time": { type: "string", arg: "MS", help: "milliseconds between blocks (default 1000)" },
} as const;

async function start(values: FlagValues<typeof startFlags>): Promise<void> {
  const signalled = untilSignal();
  const home = requireString(values, "home");
  const blockTimeMs = intFlag(values, "block-time", { min: 10, max: 3_600_000, default: 1000 });
  const rpc = values.rpc;
  if (rpc !== undefined && !parseHostPort(rpc)) {
    throw new UsageError(`--rpc must be HOST:PORT with a port in 0..65535, got "${rpc}"`);
  }
  let node: Awaited<ReturnType<typeof startNode>>;
  try {
    node = await startNode({ home, rpc, blockTimeMs, log: (line) => process.stdout.write(`${line}\n`) });
  } catch (err) {
    // A home that does not read or validate is bad input; a node that cannot run is not.
    if (err instanceof HomeError) throw new UsageError(err.message, { cause: err });
    if (err instanceof NodeError || err instanceof AppError) throw new CommandError(err.message, { cause: err });
    throw err;
  }
  await signalled;
  await node.stop();
  process.stdout.write(`stopped at height ${node.height()}\n`);
}

/** `pocval node init|start`. */
export default group("node", {
  init: command({
    summary: "writes a genesis and the validators' and participants' keys",
    flags: initFlags,
    run: init,
  }),
  start: command({ summary: "runs the localnet node until SIGINT or SIGTERM", flags: startFlags, run: start }),
});
