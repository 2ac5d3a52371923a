// The embedded single-sequencer node: its home, the app, a block every interval and the RPC server.
import { createHash } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { type App, type CommittedBlock, openApp, type StoredTx, txHash } from "../app/index.js";
import { ChainError, validateGenesis } from "../chain/index.js";
import { acquirePidLock, PidLockedError } from "../fs/index.js";
import { HomeError, NodeError } from "./errors.js";
import { parseNodeGenesis } from "./genesis.js";
import { GENESIS_FILE } from "./home.js";
import { createMempool } from "./mempool.js";
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

/** "host:port" into its parts; errors name the option. */
export function parseHostPort(value: string): { host: string; port: number } {
  const m = value.match(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/);
  const port = m ? Number(m[2]) : Number.NaN;
  if (!m || port > 65535) throw new NodeError(`rpc: "${value}" must be HOST:PORT with a port in 0..65535`);
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port };
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
  const { host, port } = parseHostPort(opts.rpc ?? DEFAULT_RPC);
  const log = opts.log ?? (() => {});

  const genesisPath = join(opts.home, GENESIS_FILE);
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
  const dataDir = join(opts.home, "data");
  await mkdir(dataDir, { recursive: true });
  let unlock: () => void;
  try {
    unlock = acquirePidLock(join(dataDir, "LOCK"), { what: dataDir, hint: "stop that node first" });
  } catch (err) {
    if (err instanceof PidLockedError) throw new NodeError(err.message, { cause: err });
    throw err;
  }

  let app: App;
  try {
    app = openApp({
      dbPath: join(dataDir, "node.db"),
      genesis,
      pocvalGenesis: pocval,
      genesisDigest: createHash("sha256").update(text).digest("hex"),
    });
  } catch (err) {
    unlock();
    throw err;
  }
  const mempool = createMempool(app);
  // broadcast_tx_commit callers waiting for their tx, by tx hash.
  interface Waiter {
    resolve: (tx: StoredTx) => void;
    reject: (err: Error) => void;
    timer: NodeJS.Timeout;
  }
  const waiters = new Map<string, Waiter[]>();
  const dropWaiter = (hash: string, waiter: Waiter) => {
    const list = waiters.get(hash)?.filter((w) => w !== waiter) ?? [];
    if (list.length > 0) waiters.set(hash, list);
    else waiters.delete(hash);
  };
  let failure: string | undefined;
  let rpc: RpcServer | undefined;

  const produce = (): CommittedBlock | undefined => {
    const txs = mempool.reap();
    let committed: CommittedBlock;
    try {
      committed = app.commitBlock(txs, Date.now());
    } catch (err) {
      failure = (err as Error).message;
      log(`block production stopped: ${failure}`);
      return undefined;
    }
    mempool.update(txs);
    for (const tx of txs) {
      const hash = txHash(tx);
      const list = waiters.get(hash);
      if (!list) continue;
      waiters.delete(hash);
      const stored = app.blocks.tx(hash);
      for (const w of list) {
        clearTimeout(w.timer);
        if (stored) w.resolve(stored);
        else w.reject(new Error(`tx ${hash} was included but its result is missing`));
      }
    }
    rpc?.publish(committed);
    const { block } = committed;
    log(`height ${block.height} txs ${block.txs.length} hash ${block.hash} app_hash ${block.header.appHash}`);
    return committed;
  };

  // A fresh chain gets its first block at once, so status always has a latest block to show.
  if (app.height() === 0n) produce();

  const nodeId = createHash("sha256")
    .update(`${genesis.chain_id}/${genesis.validators[0]!.pub_key.value}`)
    .digest("hex")
    .slice(0, 40);
  try {
    rpc = await startRpcServer(
      {
        app,
        genesis,
        mempool,
        failure: () => failure,
        waitForTx: (hash, timeoutMs) =>
          new Promise<StoredTx>((resolve, reject) => {
            const waiter: Waiter = {
              resolve,
              reject,
              timer: setTimeout(() => {
                dropWaiter(hash, waiter);
                reject(new Error("timed out waiting for tx to be included in a block"));
              }, timeoutMs),
            };
            waiters.set(hash, [...(waiters.get(hash) ?? []), waiter]);
          }),
      },
      { host, port, nodeId, limits: opts.rpcLimits, log },
    );
  } catch (err) {
    app.close();
    unlock();
    throw new NodeError(`cannot listen on ${host}:${port}: ${(err as Error).message}`);
  }

  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = () => {
    timer = setTimeout(() => {
      if (stopped) return;
      if (!failure) produce();
      if (!failure) schedule();
    }, blockTimeMs);
  };
  schedule();
  log(`chain ${genesis.chain_id} at height ${app.height()}, rpc ${rpc.url}, block time ${blockTimeMs} ms`);

  const server = rpc;
  return {
    rpcUrl: server.url,
    chainId: genesis.chain_id,
    height: () => app.height(),
    async stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      for (const list of waiters.values()) {
        for (const w of list) {
          clearTimeout(w.timer);
          w.reject(new Error("the node is stopping"));
        }
      }
      waiters.clear();
      await server.close();
      app.close();
      unlock();
    },
  };
}
