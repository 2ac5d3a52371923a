// Reads a PocvalTally contract for the dashboard through the EVM binding's own readers
// (connectEvmChain for params, stages, commitments and snapshots; evmTallyReader for tallies and
// votes), turned into the same views by reader.ts `readerOver`; the node may come and go.
import { getAddress, JsonRpcProvider, Wallet } from "ethers";
import { isEvmAddress, isStageStart, lowerEvmAddress, PocvalError } from "../core/index.js";
import { connectEvmChain, evmTallyReader } from "../evm/index.js";
import { type ChainReader, NodeUnreachableError, NotFoundError, readerOver } from "./reader.js";

/** The address holds no PocvalTally (no code, or not the contract's interface). */
export class NoContractError extends PocvalError {
  override name = "NoContractError";
}

export interface EvmReaderOptions {
  /** The EVM node's JSON-RPC (http or https). */
  rpcUrl: string;
  /** The PocvalTally's 0x address, any case. */
  contract: string;
}

/**
 * A ChainReader over a PocvalTally: the same views as on Cosmos, addresses checksummed.
 * @example const r = createEvmChainReader({ rpcUrl: "http://127.0.0.1:8545", contract: "0x5FbD..." });
 */
export function createEvmChainReader(opts: EvmReaderOptions): ChainReader & { checkContract(): Promise<void> } {
  if (!/^https?:\/\//.test(opts.rpcUrl)) {
    throw new PocvalError(`the EVM RPC must be an http(s) URL, got "${opts.rpcUrl}"`);
  }
  if (!isEvmAddress(opts.contract)) {
    throw new PocvalError(`the contract must be a 0x address of 20 bytes, got "${opts.contract}"`);
  }
  const contract = getAddress(lowerEvmAddress(opts.contract));
  // Reads only: the wallet signs nothing, it is there because the chain adapter is also a writer.
  const chain = connectEvmChain({ rpcUrl: opts.rpcUrl, contract, wallet: Wallet.createRandom() });
  const provider = new JsonRpcProvider(opts.rpcUrl, undefined, { cacheTimeout: -1 });
  const tallies = evmTallyReader(provider, contract);
  let contractSeen = false;

  /** Fails with NoContractError when the node answers but the address has no code. */
  const checkContract = async () => {
    if (contractSeen) return;
    let code: string;
    try {
      code = await provider.getCode(contract);
    } catch (err) {
      throw new NodeUnreachableError(`EVM node ${opts.rpcUrl}: ${(err as Error).message}`, { cause: err });
    }
    if (code === "0x") {
      throw new NoContractError(`no PocvalTally at ${contract} on ${opts.rpcUrl}: the address holds no contract code`);
    }
    contractSeen = true;
  };

  /** Runs a read; NotFound and NoContract pass through, anything else is the node's failure. */
  const read = async <T>(fn: () => Promise<T>): Promise<T> => {
    await checkContract();
    try {
      return await fn();
    } catch (err) {
      if (err instanceof NotFoundError || err instanceof NoContractError) throw err;
      throw new NodeUnreachableError(`EVM node ${opts.rpcUrl}: ${(err as Error).message}`, { cause: err });
    }
  };

  /** A 0x address in its checksummed spelling, or NotFound for anything else. */
  const checksummed = (address: string, what: string) => {
    if (!isEvmAddress(address)) throw new NotFoundError(`${what} ${address} is not a 0x address`);
    return getAddress(lowerEvmAddress(address));
  };

  const reader = readerOver({
    height: () => read(() => chain.latestHeight()),
    params: async () => {
      const p = await read(() => chain.params());
      return { params: { ...p.params, validationSlots: p.params.validationSlots ?? 0 }, timing: p.timing };
    },
    stageInfo: (s) => read(() => chain.stage(s)),
    stageInputs(stageHeight, timing) {
      // The contract answers any height; the module refuses one that is not a stage start.
      if (!isStageStart(timing, stageHeight)) throw new NotFoundError(`height ${stageHeight} is not a stage start`);
      return read(async () => {
        const currentHeight = await chain.latestHeight();
        if (stageHeight > currentHeight) throw new NotFoundError(`stage ${stageHeight} has not started yet`);
        const info = await chain.stage(stageHeight);
        const [snapshot, committed, votes, list] = await Promise.all([
          chain.stakeSnapshot(stageHeight),
          tallies.committed(stageHeight),
          tallies.votes(stageHeight),
          // The contract answers every committed participant: keep the decided (or final) ones.
          tallies.tallies(stageHeight).then((l) => l.filter((t) => t.decidedHeight > 0n || info.finalized)),
        ]);
        return {
          stage: info,
          currentHeight,
          snapshot: snapshot.validators.length > 0 ? snapshot : undefined,
          committed,
          tallies: list,
          votes,
        };
      });
    },
    participants: () => read(() => chain.participants()),
    address: checksummed,
    close() {
      chain.close();
      provider.destroy();
    },
  });
  return { ...reader, checkContract };
}
