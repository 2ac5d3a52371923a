// The embedded single-sequencer node: its home, the app, a block every interval and the RPC server.
import { createHash } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { type App, openApp } from "../app/index.js";
import { ChainError, validateGenesis } from "../chain/index.js";
import { acquirePidLock, PidLockedError } from "../fs/index.js";
import type { GenesisState } from "../gen/pocval/v1/genesis.js";
import { type HostPort, parseHostPort } from "../net/index.js";
import { HomeError, NodeError } from "./errors.js";
import { type NodeGenesis, parseNodeGenesis } from "./genesis.js";
import { GENESIS_FILE } from "./home.js";
import { createMempool } from "./mempool.js";
import { createBlockProducer, createTxWaiters } from "./producer.js";
import { type RpcLimits, type RpcServer, startRpcServer } from "./rpc-server.js";

export interface RunningNode {
  rpcUrl: string;
  chainId: string;
  height(): bigint;
  stop(): Promise<void>;
}

export interface StartNodeOptions {
  home: string;
  /** HOST:PORT to listen on; default "127.0.0.1:26657"; port 0 picks a free one. */
  rpc?: string;
  /** Milliseconds between blocks; default 1000. */
  blockTimeMs?: number;
  /** Overrides of the RPC server's limits (timeouts, connection caps; tests shorten them). */
  rpcLimits?: Partial<RpcLimits>;
  /** Receives one line per block and on failures (the CLI prints them). */
  log?: (line: string) => void;
}

export const DEFAULT_RPC = "127.0.0.1:26657";
export const DEFAULT_BLOCK_TIME_MS = 1000;

/** The rpc option into host and port; errors name the option. */
function rpcAddress(value: string): HostPort {
  const address = parseHostPort(value);
  if (!address) throw new NodeError(`rpc: "${value}" must be HOST:PORT with a port in 0..65535`);
  return address;
}

/**
 * Starts the single-sequencer localnet node on an initialized home: opens (or initializes) the state
 * in HOME/data, serves the CometBFT JSON-RPC and commits a block every blockTimeMs.
 *
 * @example const node = await startNode({ home, rpc: "127.0.0.1:0", blockTimeMs: 200 });
 *          const client = await StargateClient.connect(node.rpcUrl);
 */
export async function startNode(opts: StartNodeOptions): Promise<RunningNode> {
  const blockTimeMs = opts.blockTimeMs ?? DEFAULT_BLOCK_TIME_MS;
  if (!Number.isInteger(blockTimeMs) || blockTimeMs < 10 || blockTimeMs > 3_600_000) {
    throw new NodeError(`blockTimeMs must be an integer in 10..3600000, got ${blockTimeMs}`);
  }
  const { host, port } = rpcAddress(opts.rpc ?? DEFAULT_RPC);
  const log = opts.log ?? (() => {});
  const home = await readHomeGenesis(opts.home);
  const { app, unlock } = await openHomeApp(opts.home, home);
  const { genesis } = home;

  const mempool = createMempool(app);
  const waiters = createTxWaiters();
  let rpc: RpcServer | undefined;
  const producer = createBlockProducer({ app, mempool, waiters, published: (c) => rpc?.publish(c), log });
  // A fresh chain gets its first block at once, so status always has a latest block to show.
  if (app.height() === 0n) producer.produce();

  try {
    rpc = await startRpcServer(
      { app, genesis, mempool, failure: producer.failure, waitForTx: waiters.wait },
      { host, port, nodeId: nodeIdOf(genesis), limits: opts.rpcLimits, log },
    );
  } catch (err) {
    app.close();
    unlock();
    throw new NodeError(`cannot listen on ${host}:${port}: ${(err as Error).message}`);
  }
  const stopBlocks = everyBlock(blockTimeMs, producer.produce);
  log(`chain ${genesis.chain_id} at height ${app.height()}, rpc ${rpc.url}, block time ${blockTimeMs} ms`);

  const server = rpc;
  let stopped = false;
  return {
    rpcUrl: server.url,
    chainId: genesis.chain_id,
    height: () => app.height(),
    async stop() {
      if (stopped) return;
      stopped = true;
      stopBlocks();
      waiters.rejectAll("the node is stopping");
      await server.close();
      app.close();
      unlock();
    },
  };
}

interface HomeGenesis {
  genesis: NodeGenesis;
  pocval: GenesisState;
  /** SHA-256 (hex) of the file's text, which pins the database to this genesis. */
  digest: string;
}

/** HOME/genesis.json read, parsed and checked by the pocval module's own rules; errors name the file. */
async function readHomeGenesis(home: string): Promise<HomeGenesis> {
  const genesisPath = join(home, GENESIS_FILE);
  let text: string;
  try {
    text = await readFile(genesisPath, "utf8");
  } catch (err) {
    throw new HomeError(
      genesisPath,
      `cannot read the genesis (run \`pocval node init\` first): ${(err as Error).message}`,
    );
  }
  const { genesis, pocval } = parseNodeGenesis(text, genesisPath);
  try {
    validateGenesis(pocval);
  } catch (err) {
    if (err instanceof ChainError) throw new HomeError(genesisPath, `app_state.pocval: ${err.log}`);
    throw err;
  }
  return { genesis, pocval, digest: createHash("sha256").update(text).digest("hex") };
}

/** Locks HOME/data (one node per home) and opens the app's database there. */
async function openHomeApp(home: string, g: HomeGenesis): Promise<{ app: App; unlock: () => void }> {
  const dataDir = join(home, "data");
  await mkdir(dataDir, { recursive: true });
  let unlock: () => void;
  try {
    unlock = acquirePidLock(join(dataDir, "LOCK"), { what: dataDir, hint: "stop that node first" });
  } catch (err) {
    if (err instanceof PidLockedError) throw new NodeError(err.message, { cause: err });
    throw err;
  }
  try {
    const app = openApp({
      dbPath: join(dataDir, "node.db"),
      genesis: g.genesis,
      pocvalGenesis: g.pocval,
      genesisDigest: g.digest,
    });
    return { app, unlock };
  } catch (err) {
    unlock();
    throw err;
  }
}

/** The node id the RPC reports: a digest of the chain id and the sequencer's key. */
const nodeIdOf = (genesis: NodeGenesis): string =>
  createHash("sha256").update(`${genesis.chain_id}/${genesis.validators[0]!.pub_key.value}`).digest("hex").slice(0, 40);

/** Calls produce every blockTimeMs until it fails or the returned stop is called. */
function everyBlock(blockTimeMs: number, produce: () => unknown): () => void {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = () => {
    timer = setTimeout(() => {
      if (stopped) return;
      if (produce() !== undefined) schedule();
    }, blockTimeMs);
  };
  schedule();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
