// The EVM chain of `localnet run --chain evm`: anvil on loopback mining a block every blockTimeMs,
// the PocvalTally contract deployed by anvil's first funded account (the governance address), the
// scenario's params with their exact k_crit table and its stakes set, the validators' and
// participants' EVM accounts (the Ethereum HD path of their mnemonics) funded for gas.
import { getAddress, HDNodeWallet, JsonRpcProvider, Mnemonic, parseEther, toBeHex } from "ethers";
import { deriveKey } from "../client/index.js";
import { deployPocvalTally, evmHdPath, evmTallyReader, type RunningAnvil, startAnvil } from "../evm/index.js";
import type { Params } from "../gen/pocval/v1/params.js";
import type { StageInfo, Tally, VoteRecord } from "../gen/pocval/v1/types.js";
import type { Scenario } from "./scenario.js";
import { scenarioTiming } from "./scenario.js";

/** What the runner reads from the chain, on either binding. */
export interface LocalnetChainReader {
  registeredCount(): Promise<number>;
  /** A stage's windows (finalized once its validation window has passed) and the latest height. */
  stage(stageHeight: bigint): Promise<{ stage: Pick<StageInfo, "finalized">; currentHeight: bigint }>;
  currentHeight(): Promise<bigint>;
  tallies(stageHeight: bigint): Promise<Tally[]>;
  votes(stageHeight: bigint): Promise<VoteRecord[]>;
}

/** One vote transaction as mined: its sender, how many votes it carried, the gas it used. */
export interface VoteBatchGas {
  stage_height: number;
  tx: string;
  validator: string;
  votes: number;
  gas_used: number;
}

export interface EvmNetwork {
  rpcUrl: string;
  contract: string;
  governance: string;
  reader: LocalnetChainReader;
  /** The stage's vote transactions with their gas used (from the Voted logs and the receipts). */
  voteGas(stageHeight: bigint): Promise<VoteBatchGas[]>;
  /**
   * Mines the blocks up to `height` at once (anvil_mine), so that a run waits for no idle block
   * before its first stage; returns how many were mined (0 when the chain is already there).
   */
  fastForward(height: bigint): Promise<number>;
  stop(): Promise<void>;
}

/** The EVM account of a mnemonic as the report shows it (checksummed). */
export const evmAddressOf = (mnemonic: string) => getAddress(deriveKey(mnemonic, "evm").address);

/**
 * Runs `setup` while mining a block every few ms (evm_mine), so that its transactions need not
 * wait for the interval miner's next block; the empty blocks it adds come before any stage that
 * matters (the run skips to the first stage after registration anyway).
 */
async function mineWhile<T>(provider: JsonRpcProvider, setup: () => Promise<T>): Promise<T> {
  let done = false;
  const miner = (async () => {
    while (!done) {
      await provider.send("evm_mine", []);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  try {
    return await setup();
  } finally {
    done = true;
    await miner.catch(() => undefined);
  }
}

/**
 * Starts anvil, deploys and configures PocvalTally, and funds the accounts.
 * @example const net = await startEvmNetwork({scenario, params, stakes, accounts});
 */
export async function startEvmNetwork(opts: {
  scenario: Scenario;
  params: Params;
  /** Validators' EVM addresses and stakes. */
  stakes: { validator: string; stake: bigint }[];
  /** Every account that sends transactions (validators and participants). */
  accounts: string[];
}): Promise<EvmNetwork> {
  const anvil: RunningAnvil = await startAnvil({ accounts: 1, blockTime: opts.scenario.blockTimeMs / 1000 });
  const provider = new JsonRpcProvider(anvil.rpcUrl, undefined, {
    staticNetwork: true,
    cacheTimeout: -1,
    pollingInterval: Math.max(50, Math.floor(opts.scenario.blockTimeMs / 4)),
  });
  try {
    const governance = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(anvil.mnemonic), evmHdPath(0)).connect(provider);
    const tally = await mineWhile(provider, async () => {
      await Promise.all(opts.accounts.map((a) => provider.send("anvil_setBalance", [a, toBeHex(parseEther("1000"))])));
      const deployed = await deployPocvalTally(governance, { timing: scenarioTiming(opts.scenario.timing) });
      await deployed.setParams(opts.params);
      await deployed.setStakes(opts.stakes);
      return deployed;
    });
    const reader = evmTallyReader(provider, tally.address);
    const t = scenarioTiming(opts.scenario.timing);
    const currentHeight = async () => BigInt(await provider.getBlockNumber());
    return {
      rpcUrl: anvil.rpcUrl,
      contract: tally.address,
      governance: governance.address,
      reader: {
        registeredCount: async () => (await reader.registered()).length,
        currentHeight,
        async stage(stageHeight) {
          const h = await currentHeight();
          return { stage: { finalized: h > stageHeight + t.commitWindow + t.validationWindow }, currentHeight: h };
        },
        tallies: (h) => reader.tallies(h),
        votes: (h) => reader.votes(h),
      },
      async fastForward(height) {
        const blocks = height - (await currentHeight());
        if (blocks <= 0n) return 0;
        await provider.send("anvil_mine", [toBeHex(blocks)]);
        return Number(blocks);
      },
      async voteGas(stageHeight) {
        const logs = await tally.contract.queryFilter(tally.contract.filters.Voted!(stageHeight), 0, "latest");
        const byTx = new Map<string, { validator: string; votes: number }>();
        for (const log of logs) {
          const validator = getAddress((log as unknown as { args: unknown[] }).args[1] as string);
          const entry = byTx.get(log.transactionHash) ?? { validator, votes: 0 };
          entry.votes++;
          byTx.set(log.transactionHash, entry);
        }
        return Promise.all(
          [...byTx].map(async ([tx, e]) => ({
            stage_height: Number(stageHeight),
            tx,
            validator: e.validator,
            votes: e.votes,
            gas_used: Number((await provider.getTransactionReceipt(tx))!.gasUsed),
          })),
        );
      },
      async stop() {
        provider.destroy();
        await anvil.stop();
      },
    };
  } catch (err) {
    provider.destroy();
    await anvil.stop();
    throw err;
  }
}
