// One account's connection to a PocvalTally: the provider, the NonceManager signer, the contract
// for reads and writes, and the helpers every part of evm/chain.ts uses (calls, logs, the cached
// stage timing, gas estimated at the pending block). It holds no protocol rule of its own.
import {
  type BaseWallet,
  Contract,
  getAddress,
  type JsonRpcProvider,
  NonceManager,
  type WebSocketLike,
  WebSocketProvider,
} from "ethers";
import { WebSocket } from "ws";
import type { StageTiming } from "../gen/pocval/v1/params.js";
import type { Vote } from "../gen/pocval/v1/types.js";
import { pocvalTallyAbi } from "./artifacts/PocvalTally.js";
import { decodeRevert, voteTuple } from "./contract.js";
import { PatientJsonRpcProvider } from "./provider.js";

/** What connectEvmChain is given. */
export interface EvmChainOptions {
  rpcUrl: string;
  contract: string;
  wallet: BaseWallet;
  /** Added to the estimate, in percent (default 20). */
  gasMarginPercent?: number;
  /** Each failed try to reach a node that has not answered yet (evm/provider.ts). */
  onWaiting?: (err: Error, attempt: number) => void;
}

/** An account connected to the contract. */
export interface EvmConnection {
  provider: JsonRpcProvider | WebSocketProvider;
  signer: NonceManager;
  wallet: BaseWallet;
  /** The contract's checksummed address. */
  address: string;
  read: Contract;
  write: Contract;
  /** This account's address. */
  me: string;
  /** 100 plus the gas margin in percent. */
  margin: bigint;
  /** The stage timing, read once. */
  timing: StageTiming | undefined;
}

/** A WebSocketProvider whose socket errors go to onError: ethers leaves the socket's "error" event unhandled, which would end the process. */
export function websocketProvider(url: string, onError: (err: Error) => void): WebSocketProvider {
  return new WebSocketProvider(() => {
    const socket = new WebSocket(url);
    socket.on("error", onError);
    return socket as unknown as WebSocketLike;
  });
}

/** Hex without 0x, lower case: how the protocol spells block hashes (seeds, sampling). */
export const bare = (hash: string) => hash.replace(/^0x/, "").toLowerCase();

export function openEvmConnection(opts: EvmChainOptions): EvmConnection {
  // Over websocket a dropped socket fails the reads and sends that follow (an http URL is sturdier).
  const provider = opts.rpcUrl.startsWith("ws")
    ? websocketProvider(opts.rpcUrl, () => undefined)
    : new PatientJsonRpcProvider(opts.rpcUrl, { pollingInterval: 250, onWaiting: opts.onWaiting });
  const signer = new NonceManager(opts.wallet.connect(provider));
  const address = getAddress(opts.contract);
  return {
    provider,
    signer,
    wallet: opts.wallet,
    address,
    read: new Contract(address, pocvalTallyAbi as unknown as string[], provider),
    write: new Contract(address, pocvalTallyAbi as unknown as string[], signer),
    me: opts.wallet.address,
    margin: BigInt(100 + (opts.gasMarginPercent ?? 20)),
    timing: undefined,
  };
}

/** A view function of the contract (its results are read field by field where used). */
export const call = (c: EvmConnection, name: string, ...args: unknown[]) => c.read.getFunction(name)(...args);

/** An event's logs from block 0, filtered by its indexed topics. */
export const logs = (c: EvmConnection, event: string, ...topics: unknown[]) =>
  c.read.queryFilter(c.read.filters[event]!(...topics), 0, "latest") as Promise<
    { args: unknown[]; blockNumber: number }[]
  >;

export async function getTiming(c: EvmConnection): Promise<StageTiming> {
  c.timing ??= {
    stageLength: await call(c, "stageLength"),
    stageOffset: await call(c, "stageOffset"),
    commitWindow: await call(c, "commitWindow"),
    validationWindow: await call(c, "validationWindow"),
  };
  return c.timing;
}

/** A vote batch's calldata and gas limit, estimated at the pending block plus the margin. */
export async function estimateVotes(c: EvmConnection, stageHeight: bigint, votes: readonly Vote[]) {
  const { me, address } = c;
  const data = c.read.interface.encodeFunctionData("submitVotes", [stageHeight, votes.map(voteTuple)]);
  try {
    // eth_call at latest runs with the latest block's number; the transaction lands one later.
    const estimate = BigInt(await c.provider.send("eth_estimateGas", [{ from: me, to: address, data }, "pending"]));
    return { data, gasLimit: (estimate * c.margin) / 100n };
  } catch (e) {
    decodeRevert(c.read.interface, e, `votes of ${me} on stage ${stageHeight}`);
  }
}

/** A write of this account: estimated at pending plus the margin, sent with the NonceManager, mined. */
export async function transact(c: EvmConnection, method: string, args: unknown[], what: string) {
  const { me, address, signer } = c;
  const data = c.read.interface.encodeFunctionData(method, args);
  try {
    const estimate = BigInt(await c.provider.send("eth_estimateGas", [{ from: me, to: address, data }, "pending"]));
    const tx = await signer.sendTransaction({ to: address, data, gasLimit: (estimate * c.margin) / 100n });
    const receipt = (await tx.wait())!;
    return { txHash: tx.hash, height: BigInt(receipt.blockNumber), gasUsed: receipt.gasUsed };
  } catch (e) {
    signer.reset();
    decodeRevert(c.read.interface, e, what);
  }
}
