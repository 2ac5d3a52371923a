// sidecar doctor's checks that read the chain and the backends (doctor.ts runs them in order): the
// validator account (exists, bonded, its stake), the node (chain id, synced, websocket delivering
// blocks), the chain's params and app version against this sidecar, and each backend (reachable,
// serving the chain's model, 2 test nonces within a time bound, their distance to a reference).
import { QueryClient, StargateClient } from "@cosmjs/stargate";
import { Comet38Client, HttpClient } from "@cosmjs/tendermint-rpc";
import { Wallet } from "ethers";
import WebSocket from "ws";
import {
  BackendParamsMismatchError,
  createBackendClient,
  type PocParams,
  pocParamsSchema,
  vectorSource,
} from "../backend/index.js";
import { type PocvalExtension, setupPocvalExtension } from "../client/index.js";
import { currentStage, decodeVector, encodeVector, l2Distance, type NumericParams, toHex } from "../core/index.js";
import { packageVersion } from "../net/index.js";
import type { SidecarChain } from "./chain.js";
import { websocketUrl } from "./chain-cosmos.js";
import { connectEvmSidecarChain } from "./chain-evm.js";
import { parseCheckParams } from "./check.js";
import type { SidecarConfig } from "./config.js";
import { type DoctorLine, fail, ok } from "./doctor.js";
import type { ValidatorKey } from "./keys.js";

/** The pocval app versions (abci_info app_version) whose messages and queries this sidecar speaks. */
export const SUPPORTED_APP_VERSIONS: readonly string[] = ["1"];
/** A node whose latest block is older than this is taken as stalled or not synced. */
const STALE_BLOCK_MS = 120_000;
/** The test recompute's inputs: fixed, so a backend's answer can be compared with a reference's. */
const TEST_SEED = { blockHash: "d0c7".repeat(16), blockHeight: 1, publicKey: "pocval-sidecar-doctor" };
const TEST_NONCES = [0, 1];

/** The chain as doctor reads it, on either binding. */
export interface DoctorChain {
  config: SidecarConfig;
  /** The sidecar's own view (params, stakes). */
  sidecar: SidecarChain;
  /** Cosmos: the node's CometBFT client; undefined on evm. */
  comet?: Comet38Client;
  timeoutMs: number;
  close(): void;
}

/** The chain's params as the backend checks need them. */
export interface ChainFacts {
  params: NumericParams;
}

/** Rejects after ms with a message naming what timed out. */
function within<T>(what: string, ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err)).split("\n")[0]!.slice(0, 300);

/** Opens the clients (nothing is sent yet); without a key the sidecar's view signs nothing. */
export function openDoctorChain(config: SidecarConfig, key: ValidatorKey | undefined, timeoutMs: number): DoctorChain {
  if (config.chain.kind === "evm") {
    const wallet = key ? new Wallet(`0x${toHex(key.privateKey)}`) : Wallet.createRandom();
    const sidecar = connectEvmSidecarChain({
      rpcUrl: config.chain.rpcUrl,
      contract: config.chain.contract!,
      wallet,
      pollIntervalMs: config.node.pollIntervalMs,
      wsStallMs: config.node.wsStallMs,
    });
    return { config, sidecar, timeoutMs, close: () => sidecar.close() };
  }
  const comet = Comet38Client.create(new HttpClient(config.chain.rpcUrl, timeoutMs));
  const query: QueryClient & PocvalExtension = QueryClient.withExtensions(comet, setupPocvalExtension);
  const unused = () => {
    throw new Error("doctor sends nothing");
  };
  const sidecar: SidecarChain = {
    kind: "cosmos",
    latestHeight: async () => BigInt((await comet.status()).syncInfo.latestBlockHeight),
    params: () => query.pocval.params(),
    stage: async (h) => (await query.pocval.stage(h)).stage,
    participants: () => query.pocval.participants(),
    commitments: (h) => query.pocval.commitments(h),
    myVotes: (h) => query.pocval.votes(h, { validator: key?.address ?? "" }),
    stakeSnapshot: (h) => query.pocval.stakeSnapshot(h),
    voteSender: unused,
    followBlocks: unused,
    close: () => comet.disconnect(),
  };
  return { config, sidecar, comet, timeoutMs, close: () => comet.disconnect() };
}

/** One JSON-RPC call to an EVM node over http(s) or ws(s). */
async function evmCall(url: string, method: string, params: unknown[], timeoutMs: number): Promise<unknown> {
  const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method, params });
  const answer = /^wss?:/.test(url)
    ? await new Promise<string>((done, reject) => {
        const socket = new WebSocket(url, { handshakeTimeout: timeoutMs });
        socket.once("open", () => socket.send(body));
        socket.once("message", (data: Buffer) => {
          done(data.toString("utf8"));
          socket.close();
        });
        socket.once("error", reject);
      })
    : await (
        await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        })
      ).text();
  const parsed = JSON.parse(answer) as { result?: unknown; error?: { message?: string } };
  if (parsed.error) throw new Error(`${method}: ${parsed.error.message ?? "error"}`);
  return parsed.result;
}

/**
 * The chain id the node at rpc reports: CometBFT's network on cosmos, eth_chainId in decimal on evm
 * (the spelling of the config's chain.id).
 */
export async function nodeChainId(kind: "cosmos" | "evm", rpc: string, timeoutMs: number): Promise<string> {
  if (kind === "evm") return BigInt((await evmCall(rpc, "eth_chainId", [], timeoutMs)) as string).toString();
  const res = await fetch(`${rpc.replace(/\/+$/, "")}/status`, { signal: AbortSignal.timeout(timeoutMs) });
  const body = (await res.json()) as { result?: { node_info?: { network?: unknown } } };
  const network = body.result?.node_info?.network;
  if (typeof network !== "string") throw new Error(`${rpc}/status has no node_info.network`);
  return network;
}

/** The account exists (holds funds on evm), and the stake snapshot of the current stage bonds it. */
export async function checkAccount(chain: DoctorChain, key: ValidatorKey): Promise<DoctorLine> {
  const { config, timeoutMs } = chain;
  const address = key.address;
  try {
    if (chain.comet) {
      const account = await within("account query", timeoutMs, StargateClient.create(chain.comet).getAccount(address));
      if (account === null) {
        return fail("account", `${address}: no account on chain`, "fund it, or check that key is the validator's");
      }
    } else {
      const wei = BigInt(
        (await within(
          "eth_getBalance",
          timeoutMs,
          evmCall(config.chain.rpcUrl, "eth_getBalance", [address, "latest"], timeoutMs),
        )) as string,
      );
      if (wei === 0n) return fail("account", `${address}: no balance to pay for vote transactions`, "fund it");
    }
    const height = await within("latest height", timeoutMs, chain.sidecar.latestHeight());
    const { timing } = await within("params", timeoutMs, chain.sidecar.params());
    const stage = currentStage(timing, height);
    const snapshot = await within("stake snapshot", timeoutMs, chain.sidecar.stakeSnapshot(stage));
    const mine = snapshot.validators.find((v) => v.address.toLowerCase() === address.toLowerCase());
    if (mine === undefined || BigInt(mine.stake) === 0n) {
      return fail(
        "account",
        `${address}: not bonded (not in stage ${stage}'s stake snapshot of ${snapshot.validators.length} validators)`,
        "bond stake to this validator, or point key at the validator's own key",
      );
    }
    const share = Number((BigInt(mine.stake) * 10_000n) / BigInt(snapshot.totalStake)) / 100;
    return ok(
      "account",
      `${address}: bonded, stake ${mine.stake} of ${snapshot.totalStake} (${share}%) at stage ${stage}`,
    );
  } catch (err) {
    return fail("account", `cannot read it from ${config.chain.rpcUrl}: ${message(err)}`, "see the node line");
  }
}

/** A NewBlock event arrives on the websocket (Cosmos), within the limit. */
async function firstNewBlock(url: string, timeoutMs: number): Promise<bigint> {
  return within(
    `websocket ${url}`,
    timeoutMs,
    new Promise<bigint>((done, reject) => {
      const socket = new WebSocket(url, { handshakeTimeout: timeoutMs });
      const query = "tm.event='NewBlock'";
      socket.once("open", () =>
        socket.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "subscribe", params: { query } })),
      );
      socket.on("message", (data: Buffer) => {
        const m = JSON.parse(data.toString("utf8")) as {
          result?: { data?: { value?: { block?: { header?: { height?: string } } } } };
        };
        const h = m.result?.data?.value?.block?.header?.height;
        if (h !== undefined) {
          socket.close();
          done(BigInt(h));
        }
      });
      socket.once("error", reject);
      setTimeout(() => socket.terminate(), timeoutMs + 100).unref();
    }),
  );
}

/** The node: reachable, on the configured chain id, synced, and (Cosmos) its websocket delivering blocks. */
export async function checkNode(chain: DoctorChain, config: SidecarConfig, timeoutMs: number): Promise<DoctorLine> {
  const rpc = config.chain.rpcUrl;
  const wantId = config.chain.id;
  const wrongId = (got: string) =>
    fail(
      "node",
      `${rpc} is on chain "${got}", the config says chain.id "${wantId}"`,
      "point the RPC URL at a node of the right chain, or correct chain.id",
    );
  try {
    if (chain.comet === undefined) {
      const id = await nodeChainId("evm", rpc, timeoutMs);
      if (wantId !== undefined && id !== wantId) return wrongId(id);
      const height = BigInt((await evmCall(rpc, "eth_blockNumber", [], timeoutMs)) as string);
      return ok("node", `${rpc}: chain ${id}, height ${height} (evm: blocks are followed over this URL)`);
    }
    const status = await within("status", timeoutMs, chain.comet.status());
    const network = status.nodeInfo.network;
    if (wantId !== undefined && network !== wantId) return wrongId(network);
    const ageMs = Date.now() - status.syncInfo.latestBlockTime.getTime();
    if (status.syncInfo.catchingUp || ageMs > STALE_BLOCK_MS) {
      return fail(
        "node",
        `${rpc}: ${status.syncInfo.catchingUp ? "catching up" : `latest block ${Math.round(ageMs / 1000)} s old`}`,
        "wait until the node is synced and the chain produces blocks",
      );
    }
    const ws = config.node.wsUrl ?? websocketUrl(rpc);
    let wsHeight: bigint;
    try {
      wsHeight = await firstNewBlock(ws, Math.max(timeoutMs, 2 * config.node.pollIntervalMs));
    } catch (err) {
      return fail(
        "node",
        `websocket ${ws}: ${message(err)}`,
        "open the node's websocket to the sidecar, or set node.wsUrl",
      );
    }
    return ok(
      "node",
      `${rpc}: chain ${network}, height ${status.syncInfo.latestBlockHeight}; websocket NewBlock ${wsHeight}`,
    );
  } catch (err) {
    return fail("node", `${rpc}: ${message(err)}`, "start the node or correct the RPC URL; check firewalls");
  }
}

/** The app behind a Cosmos node (abci_info): its name, version and app version. */
async function appInfo(rpc: string, timeoutMs: number): Promise<{ data: string; version: string; appVersion: string }> {
  const r = await fetch(`${rpc.replace(/\/+$/, "")}/abci_info`, { signal: AbortSignal.timeout(timeoutMs) });
  const body = (await r.json()) as {
    result?: { response?: { data?: string; version?: string; app_version?: string } };
  };
  const res = body.result?.response ?? {};
  return { data: res.data ?? "", version: res.version ?? "", appVersion: res.app_version ?? "" };
}

/** The chain's params parse under this sidecar's rules, and (Cosmos) the app version is one it speaks. */
export async function checkParams(chain: DoctorChain): Promise<{ line: DoctorLine; facts?: ChainFacts }> {
  const { config, timeoutMs } = chain;
  let params: NumericParams;
  try {
    params = parseCheckParams((await within("params", timeoutMs, chain.sidecar.params())).params);
  } catch (err) {
    return { line: fail("params", message(err), "upgrade pocval to the chain's version (docs/operator.md)") };
  }
  let app = "evm contract";
  if (chain.comet) {
    const info = await appInfo(config.chain.rpcUrl, timeoutMs).catch(() => undefined);
    if (info === undefined || info.data !== "pocval" || !SUPPORTED_APP_VERSIONS.includes(info.appVersion)) {
      const got = info === undefined ? "no abci_info" : `app "${info.data}" app_version ${info.appVersion}`;
      return {
        line: fail(
          "params",
          `${got}; sidecar ${packageVersion()} speaks pocval app_version ${SUPPORTED_APP_VERSIONS.join(", ")}`,
          "install the pocval version the chain runs (npm install -g pocval@<version>)",
        ),
      };
    }
    app = `app pocval ${info.version} (app_version ${info.appVersion})`;
  }
  const p = params;
  const detail = `model ${p.model}, seq_len ${p.seqLen}, k_dim ${p.kDim}, sample_size ${p.sampleSize}, dist_threshold ${p.distThreshold}; ${app}, sidecar ${packageVersion()}`;
  return { line: ok("params", detail), facts: { params } };
}

/** The test nonces' vectors from a reference: a trusted backend's, else pocval's exact reference model. */
async function referenceVectors(
  referenceUrl: string | undefined,
  status: Record<string, unknown>,
  wire: PocParams,
  timeoutMs: number,
): Promise<{ name: string; vectors: Float64Array[] } | undefined> {
  if (referenceUrl !== undefined) {
    const client = createBackendClient({ url: referenceUrl, timeoutMs, retries: 0, batchSize: TEST_NONCES.length });
    const artifacts = await client.generate({ ...TEST_SEED, nonces: TEST_NONCES, params: wire });
    return { name: referenceUrl, vectors: artifacts.map((a) => a.vector) };
  }
  // Only pocval's reference backend (its status names a profile) computes pocval's reference model.
  if (typeof status.profile !== "string") return undefined;
  const exact = vectorSource({ ...TEST_SEED, ...wire, profile: "exact" });
  return {
    name: "pocval's exact reference model",
    vectors: TEST_NONCES.map((n) => decodeVector(encodeVector(exact(n)), wire.kDim)),
  };
}

/** Compares the params a backend's status names (when it names them) with the chain's. */
function statusParamsMismatch(status: Record<string, unknown>, wire: PocParams): string | undefined {
  const parsed = pocParamsSchema.safeParse(status.params);
  if (!parsed.success) return undefined;
  const s = parsed.data;
  const diff: string[] = [];
  if (s.model !== wire.model) diff.push(`model ${s.model} (chain: ${wire.model})`);
  if (s.seq_len !== wire.seqLen) diff.push(`seq_len ${s.seq_len} (chain: ${wire.seqLen})`);
  if (s.k_dim !== wire.kDim) diff.push(`k_dim ${s.k_dim} (chain: ${wire.kDim})`);
  return diff.length > 0 ? diff.join(", ") : undefined;
}

/** One backend: reachable, the chain's model, 2 nonces within the bound, honest distance to the reference. */
export async function checkBackend(
  name: string,
  url: string,
  facts: ChainFacts,
  o: { referenceUrl?: string; boundMs: number; timeoutMs: number },
): Promise<DoctorLine> {
  const wire: PocParams = { model: facts.params.model, seqLen: facts.params.seqLen, kDim: facts.params.kDim };
  const client = createBackendClient({ url, timeoutMs: o.boundMs, retries: 0, batchSize: TEST_NONCES.length });
  let status: Record<string, unknown>;
  try {
    status = (await within("status", o.timeoutMs, client.status())) as Record<string, unknown>;
  } catch (err) {
    return fail(name, `${url}: not reachable (${message(err)})`, "start the backend, or correct backend.urls");
  }
  const deploy = `deploy ${wire.model} (seq_len ${wire.seqLen}, k_dim ${wire.kDim}) on it, or remove it from backend.urls`;
  const mismatch = statusParamsMismatch(status, wire);
  if (mismatch !== undefined) return fail(name, `${url}: serves ${mismatch}`, deploy);
  const started = performance.now();
  let vectors: Float64Array[];
  try {
    vectors = (await client.generate({ ...TEST_SEED, nonces: TEST_NONCES, params: wire })).map((a) => a.vector);
  } catch (err) {
    if (err instanceof BackendParamsMismatchError) {
      return fail(name, `${url}: refuses the chain's params (${err.fields.join(", ")})`, deploy);
    }
    return fail(name, `${url}: test recompute failed (${message(err)})`, "check the backend's logs and load");
  }
  const seconds = (performance.now() - started) / 1000;
  if (seconds * 1000 > o.boundMs) {
    return fail(
      name,
      `${url}: 2 nonces took ${seconds.toFixed(2)} s, over ${o.boundMs / 1000} s`,
      "give it a GPU to itself",
    );
  }
  const timing = `2 nonces in ${seconds.toFixed(2)} s`;
  let reference: Awaited<ReturnType<typeof referenceVectors>>;
  try {
    reference = await referenceVectors(o.referenceUrl, status, wire, o.boundMs);
  } catch (err) {
    return fail(name, `reference ${o.referenceUrl}: ${message(err)}`, "give --reference a reachable backend");
  }
  if (reference === undefined) {
    return ok(
      name,
      `${url}: ${wire.model}, ${timing}; distance not measured (--reference URL compares with a trusted backend)`,
    );
  }
  const d = vectors.map((v, i) => l2Distance(v, reference.vectors[i]!));
  const shown = d.map((x) => x.toFixed(4)).join(", ");
  const threshold = facts.params.distThreshold;
  if (d.every((x) => x > threshold)) {
    return fail(
      name,
      `${url}: distances ${shown} to ${reference.name} exceed dist_threshold ${threshold}: it would accuse honest participants`,
      "check the backend's model build, quantization and kernels against the network's",
    );
  }
  return ok(
    name,
    `${url}: ${wire.model}, ${timing}; distances ${shown} to ${reference.name} (dist_threshold ${threshold})`,
  );
}
