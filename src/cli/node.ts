import { CHAIN_ID_PATTERN, HomeError, initHome, NodeError, startNode } from "../node/index.js";
import { CommandError, intFlag, parseFlags, printJson, requireString, UsageError, untilSignal } from "./args.js";

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

async function init(argv: string[]): Promise<void> {
  const { values } = parseFlags(argv, {
    home: { type: "string" },
    "chain-id": { type: "string" },
    validators: { type: "string" },
    stakes: { type: "string" },
    participants: { type: "string" },
    json: { type: "boolean" },
  });
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
    if (err instanceof HomeError) throw new CommandError(err.message);
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

async function start(argv: string[]): Promise<void> {
  const { values } = parseFlags(argv, {
    home: { type: "string" },
    rpc: { type: "string" },
    "block-time": { type: "string" },
  });
  const home = requireString(values, "home");
  const blockTimeMs = intFlag(values, "block-time", { min: 10, max: 3_600_000, default: 1000 });
  const rpc = values.rpc;
  if (rpc !== undefined && !/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(rpc)) {
    throw new UsageError(`--rpc must be HOST:PORT, got "${rpc}"`);
  }
  let node: Awaited<ReturnType<typeof startNode>>;
  try {
    node = await startNode({ home, rpc, blockTimeMs, log: (line) => process.stdout.write(`${line}\n`) });
  } catch (err) {
    if (err instanceof HomeError || err instanceof NodeError) throw new CommandError(err.message);
    throw err;
  }
  await untilSignal();
  await node.stop();
  process.stdout.write(`stopped at height ${node.height()}\n`);
}

/** `pocval node init|start`. */
export async function run(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === "init") return init(rest);
  if (sub === "start") return start(rest);
  throw new UsageError(`node: expected "init" or "start", got ${sub === undefined ? "nothing" : `"${sub}"`}`);
}
