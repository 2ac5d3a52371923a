// Reads a PocvalTally contract for the dashboard through the EVM binding's own readers
// (connectEvmChain for params, stages, commitments and snapshots; evmTallyReader for tallies and
// votes). Finalized stages never change, so their views are cached; the node may come and go.
import { getAddress, isAddress, JsonRpcProvider, Wallet } from "ethers";
import { firstStageStart, isStageStart, PocvalError, stageStartAtOrBefore } from "../core/index.js";
import { connectEvmChain, evmTallyReader } from "../evm/index.js";
import type { Params, StageTiming } from "../gen/pocval/v1/params.js";
import type { StageInfo } from "../gen/pocval/v1/types.js";
import type { StageView } from "./api-types.js";
import { type ChainReader, NodeUnreachableError, NotFoundError } from "./reader.js";
import { overviewView, participantHistory, stageView, validatorHistory } from "./views.js";

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
  if (!isAddress(opts.contract)) {
    throw new PocvalError(`the contract must be a 0x address of 20 bytes, got "${opts.contract}"`);
  }
  const contract = getAddress(opts.contract);
  // Reads only: the wallet signs nothing, it is there because the chain adapter is also a writer.
  const chain = connectEvmChain({ rpcUrl: opts.rpcUrl, contract, wallet: Wallet.createRandom() });
  const provider = new JsonRpcProvider(opts.rpcUrl, undefined, { cacheTimeout: -1 });
  const tallies = evmTallyReader(provider, contract);
  const finalized = new Map<bigint, StageView>();
  let params: { params: Params; timing: StageTiming } | undefined;
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

  const chainParams = async () => {
    if (!params) {
      const p = await read(() => chain.params());
      params = { params: { ...p.params, validationSlots: p.params.validationSlots ?? 0 }, timing: p.timing };
    }
    return params;
  };

  const height = () => read(() => chain.latestHeight());

  /** Stage starts at or before the current height, newest first, at most limit. */
  const recentStages = (timing: StageTiming, current: bigint, limit: number): bigint[] => {
    const out: bigint[] = [];
    const first = firstStageStart(timing);
    let s = stageStartAtOrBefore(timing, current);
    while (s !== undefined && s >= first && out.length < limit) {
      out.push(s);
      s -= timing.stageLength;
    }
    return out;
  };

  const stage = async (stageHeight: bigint): Promise<StageView> => {
    const cached = finalized.get(stageHeight);
    if (cached) return cached;
    const { params: p, timing } = await chainParams();
    if (!isStageStart(timing, stageHeight)) throw new NotFoundError(`height ${stageHeight} is not a stage start`);
    const view = await read(async () => {
      const currentHeight = await chain.latestHeight();
      if (stageHeight > currentHeight) throw new NotFoundError(`stage ${stageHeight} has not started yet`);
      const info = await chain.stage(stageHeight);
      const [snapshot, committed, votes, list] = await Promise.all([
        chain.stakeSnapshot(stageHeight),
        tallies.committed(stageHeight),
        tallies.votes(stageHeight),
        info.finalized ? tallies.tallies(stageHeight) : Promise.resolve([]),
      ]);
      return stageView({
        stage: info,
        currentHeight,
        params: p,
        snapshot: snapshot.validators.length > 0 ? snapshot : undefined,
        committed,
        tallies: list,
        votes,
      });
    });
    if (view.stage.finalized) finalized.set(stageHeight, view);
    return view;
  };

  const finalizedStages = async (limit: number): Promise<StageView[]> => {
    const { timing } = await chainParams();
    const current = await height();
    const views: StageView[] = [];
    for (const s of recentStages(timing, current, limit)) {
      const v = await stage(s);
      if (v.stage.finalized) views.push(v);
    }
    return views;
  };

  /** A 0x address in its checksummed spelling, or NotFound for anything else. */
  const checksummed = (address: string, what: string) => {
    if (!isAddress(address)) throw new NotFoundError(`${what} ${address} is not a 0x address`);
    return getAddress(address);
  };

  return {
    checkContract,
    height,
    async overview(limit) {
      const { params: p, timing } = await chainParams();
      const current = await height();
      const infos: StageInfo[] = [];
      for (const s of recentStages(timing, current, limit)) {
        const cached = finalized.get(s);
        if (cached) {
          const c = cached.stage;
          infos.push({
            stageHeight: BigInt(c.stage_height),
            commitEndHeight: BigInt(c.commit_end_height),
            samplingHeight: BigInt(c.sampling_height),
            validationStartHeight: BigInt(c.validation_start_height),
            validationEndHeight: BigInt(c.validation_end_height),
            generationSeed: "",
            samplingBlockHash: cached.sampling_block_hash,
            finalized: true,
          });
        } else {
          infos.push(await read(() => chain.stage(s)));
        }
      }
      return overviewView(p, timing, current, infos);
    },
    stage,
    async participant(address, limit) {
      const who = checksummed(address, "participant");
      const list = await read(() => chain.participants());
      const found = list.find((p) => p.address === who);
      if (!found) throw new NotFoundError(`participant ${who} is not registered`);
      return participantHistory(found, await finalizedStages(limit));
    },
    async validator(address, limit) {
      const who = checksummed(address, "validator");
      const view = validatorHistory(who, await finalizedStages(limit));
      if (!view) throw new NotFoundError(`validator ${who} is in no stake snapshot of the last ${limit} stages`);
      return view;
    },
    close() {
      chain.close();
      provider.destroy();
    },
  };
}
