// A CometBFT network on loopback: one `cometbft` node and one `pocval abci` app per validator.

import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { PocvalError } from "../core/index.js";
import { freePort, startBound } from "./ports.js";
import type { Supervisor } from "./supervisor.js";

export const COMETBFT_VERSION = "0.38.25";
const PROJECT_BINARY = fileURLToPath(new URL("../../.tools/bin/cometbft", import.meta.url));
const run = promisify(execFile);

export class CometbftError extends PocvalError {
  override name = "CometbftError";
}

/** The cometbft binary: $POCVAL_COMETBFT, else the project's (scripts/install-cometbft.sh). */
export function cometbftBinary(): string {
  const path = process.env.POCVAL_COMETBFT ?? PROJECT_BINARY;
  if (!existsSync(path)) {
    throw new CometbftError(
      `cometbft not found at ${path}: run scripts/install-cometbft.sh (or set POCVAL_COMETBFT to a v${COMETBFT_VERSION} binary)`,
    );
  }
  return path;
}

export interface CometValidator {
  /** The scenario's validator name. */
  name: string;
  /** The pocval account whose stake is this node's voting power. */
  address: string;
  stake: bigint;
  cometHome: string;
  appHome: string;
  rpcPort: number;
  p2pPort: number;
  appPort: number;
  nodeId: string;
  rpcUrl: string;
}

export interface CometNetwork {
  chainId: string;
  validators: CometValidator[];
  /** timeout_commit of every node. */
  blockTimeMs: number;
}

export interface CometNetworkOptions {
  /** Folder for the nodes' and apps' homes. */
  dir: string;
  /** The pocval genesis (`initHome`'s genesis.json): chain id, genesis time and app_state are taken from it. */
  genesisPath: string;
  validators: { name: string; address: string; stake: bigint }[];
  /** timeout_commit: the pause after each block. */
  blockTimeMs: number;
}

/** A node's p2p ID: hex of the first 20 bytes of SHA-256 over its ed25519 public key. */
export function nodeIdOf(nodeKeyJson: string): string {
  const key = JSON.parse(nodeKeyJson) as { priv_key: { value: string } };
  const priv = Buffer.from(key.priv_key.value, "base64");
  if (priv.length !== 64) throw new CometbftError("node_key.json: priv_key must be 64 bytes of ed25519 key");
  return createHash("sha256").update(priv.subarray(32)).digest("hex").slice(0, 40);
}

/** Sets `key = value` in a section of a TOML text ("" for the top level); value is a TOML literal. */
export function setTomlKey(text: string, section: string, key: string, value: string): string {
  const lines = text.split("\n");
  let current = "";
  for (let i = 0; i < lines.length; i++) {
    const header = lines[i]!.match(/^\s*\[([^\]]+)\]\s*$/);
    if (header) {
      current = header[1]!;
      continue;
    }
    if (current === section && new RegExp(`^\\s*${key.replace(/[.]/g, "\\.")}\\s*=`).test(lines[i]!)) {
      lines[i] = `${key} = ${value}`;
      return lines.join("\n");
    }
  }
  throw new CometbftError(`config.toml: no key ${key} in section [${section}]`);
}

const ms = (n: number) => `"${Math.max(1, Math.round(n))}ms"`;

/** The config keys the localnet sets on each node (loopback ports, peers, short block times). */
export function nodeConfig(
  text: string,
  v: CometValidator,
  peers: readonly CometValidator[],
  blockTimeMs: number,
): string {
  const settings: [string, string, string][] = [
    ["", "moniker", `"${v.name}"`],
    ["", "proxy_app", `"tcp://127.0.0.1:${v.appPort}"`],
    ["", "log_level", `"*:error,state:info"`],
    ["rpc", "laddr", `"tcp://127.0.0.1:${v.rpcPort}"`],
    ["p2p", "laddr", `"tcp://127.0.0.1:${v.p2pPort}"`],
    ["p2p", "persistent_peers", `"${peers.map((p) => `${p.nodeId}@127.0.0.1:${p.p2pPort}`).join(",")}"`],
    ["p2p", "addr_book_strict", "false"],
    ["p2p", "allow_duplicate_ip", "true"],
    ["p2p", "pex", "false"],
    ["p2p", "persistent_peers_max_dial_period", `"2s"`],
    ["consensus", "timeout_propose", ms(Math.max(1000, blockTimeMs * 2))],
    ["consensus", "timeout_propose_delta", ms(200)],
    ["consensus", "timeout_prevote", ms(500)],
    ["consensus", "timeout_prevote_delta", ms(200)],
    ["consensus", "timeout_precommit", ms(500)],
    ["consensus", "timeout_precommit_delta", ms(200)],
    ["consensus", "timeout_commit", ms(blockTimeMs)],
    ["tx_index", "indexer", `"kv"`],
  ];
  return settings.reduce((t, [section, key, value]) => setTomlKey(t, section, key, value), text);
}

/**
 * Creates the homes of a CometBFT network: `cometbft init` per validator (consensus and node keys),
 * one genesis whose validators are those keys with the pocval stakes as voting power, and each
 * node's config.toml (ports the runner picked, persistent peers, block times).
 */
export async function initCometNetwork(opts: CometNetworkOptions): Promise<CometNetwork> {
  const binary = cometbftBinary();
  const pocvalGenesis = JSON.parse(await readFile(opts.genesisPath, "utf8")) as {
    chain_id: string;
    genesis_time: string;
    app_state: Record<string, unknown>;
  };
  const validators: CometValidator[] = [];
  const pubKeys: string[] = [];
  for (const v of opts.validators) {
    const cometHome = join(opts.dir, "comet", v.name);
    const appHome = join(opts.dir, "app", v.name);
    await mkdir(appHome, { recursive: true });
    try {
      await run(binary, ["init", "--home", cometHome]);
    } catch (err) {
      throw new CometbftError(`cometbft init --home ${cometHome} failed: ${(err as Error).message}`, { cause: err });
    }
    const pv = JSON.parse(await readFile(join(cometHome, "config", "priv_validator_key.json"), "utf8")) as {
      pub_key: { type: string; value: string };
    };
    pubKeys.push(pv.pub_key.value);
    const [rpcPort, p2pPort, appPort] = [await freePort(), await freePort(), await freePort()];
    validators.push({
      ...v,
      cometHome,
      appHome,
      rpcPort,
      p2pPort,
      appPort,
      nodeId: nodeIdOf(await readFile(join(cometHome, "config", "node_key.json"), "utf8")),
      rpcUrl: `http://127.0.0.1:${rpcPort}`,
    });
  }
  const template = JSON.parse(await readFile(join(validators[0]!.cometHome, "config", "genesis.json"), "utf8")) as {
    consensus_params: { block: { max_bytes: string } };
  };
  const genesis = {
    genesis_time: pocvalGenesis.genesis_time,
    chain_id: pocvalGenesis.chain_id,
    initial_height: "1",
    consensus_params: {
      ...template.consensus_params,
      block: { ...template.consensus_params.block, max_bytes: String(4 << 20) },
    },
    validators: validators.map((v, i) => ({
      pub_key: { type: "tendermint/PubKeyEd25519", value: pubKeys[i] },
      power: v.stake.toString(),
      name: v.name,
    })),
    app_hash: "",
    app_state: {
      ...pocvalGenesis.app_state,
      consensus: {
        validators: validators.map((v, i) => ({
          validator: v.address,
          pub_key: { type: "tendermint/PubKeyEd25519", value: pubKeys[i] },
        })),
      },
    },
  };
  const genesisText = `${JSON.stringify(genesis, null, 2)}\n`;
  const network = { chainId: pocvalGenesis.chain_id, validators, blockTimeMs: opts.blockTimeMs };
  for (const v of validators) {
    await writeFile(join(v.cometHome, "config", "genesis.json"), genesisText);
    await writeNodeConfig(v, network);
  }
  return network;
}

export const appChild = (v: CometValidator) => `app-${v.name}`;
export const nodeChild = (v: CometValidator) => `comet-${v.name}`;

/**
 * Starts a validator's app, waits until it listens, then its CometBFT node (which connects to
 * it) and waits until the node listens on p2p (it binds RPC first). A child that loses its port
 * to another process is started again on fresh ports (the node's config rewritten), not fatal.
 */
export async function startCometValidator(
  supervisor: Supervisor,
  v: CometValidator,
  network: CometNetwork,
  timeoutMs = 60_000,
): Promise<void> {
  v.appPort = await startBound({
    supervisor,
    name: appChild(v),
    port: v.appPort,
    timeoutMs,
    launch: (port) =>
      supervisor.start(
        appChild(v),
        ["abci", "start", "--home", v.appHome, "--listen", `tcp://127.0.0.1:${port}`],
        {},
        {
          probation: true,
        },
      ),
  });
  v.p2pPort = await startBound({
    supervisor,
    name: nodeChild(v),
    port: v.p2pPort,
    timeoutMs,
    launch: async (p2pPort) => {
      if (p2pPort !== v.p2pPort) {
        v.rpcPort = await freePort();
        v.rpcUrl = `http://127.0.0.1:${v.rpcPort}`;
      }
      v.p2pPort = p2pPort;
      await writeNodeConfig(v, network);
      return supervisor.startProgram(
        nodeChild(v),
        cometbftBinary(),
        ["start", "--home", v.cometHome],
        {},
        {
          probation: true,
        },
      );
    },
  });
}

/** Writes a node's config.toml from the network's current ports (a restarted peer may have moved). */
async function writeNodeConfig(v: CometValidator, network: CometNetwork): Promise<void> {
  const configPath = join(v.cometHome, "config", "config.toml");
  const peers = network.validators.filter((p) => p !== v);
  await writeFile(configPath, nodeConfig(await readFile(configPath, "utf8"), v, peers, network.blockTimeMs));
}

/** kill -9 of a validator's node and app (a crash), as a planned event for the supervisor. */
export async function crashCometValidator(supervisor: Supervisor, v: CometValidator): Promise<void> {
  await Promise.all([supervisor.kill(nodeChild(v)), supervisor.kill(appChild(v))]);
}
