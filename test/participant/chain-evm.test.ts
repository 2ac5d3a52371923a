// The participant's EVM chain on a real anvil: registration, the current stage with its generation
// seed (block S's hash), commits whose refusals (count not increasing, outside the window) come back
// with the contract's error name, and reads in lower-case addresses.
import { HDNodeWallet, JsonRpcProvider, Mnemonic } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accountKeyFromMnemonic, deriveKey } from "../../src/client/index.js";
import { defaultParams } from "../../src/core/index.js";
import { deployPocvalTally, type PocvalTally, type RunningAnvil, startAnvil } from "../../src/evm/index.js";
import type { ParticipantChain } from "../../src/participant/chain.js";
import { connectEvmParticipantChain } from "../../src/participant/chain-evm.js";

const TIMING = { stageLength: 20n, stageOffset: 0n, commitWindow: 5n, validationWindow: 5n };
let anvil: RunningAnvil;
let provider: JsonRpcProvider;
let tally: PocvalTally;
let chain: ParticipantChain;
let me: string;

beforeAll(async () => {
  anvil = await startAnvil({ accounts: 3 });
  provider = new JsonRpcProvider(anvil.rpcUrl, undefined, {
    staticNetwork: true,
    pollingInterval: 20,
    cacheTimeout: -1,
  });
  const m = Mnemonic.fromPhrase(anvil.mnemonic);
  const governance = HDNodeWallet.fromMnemonic(m, "m/44'/60'/0'/0/1").connect(provider);
  tally = await deployPocvalTally(governance, { timing: TIMING });
  await tally.setParams({ ...defaultParams(), sampleSize: 10 });
  await tally.setStakes([{ validator: governance.address, stake: 5n }]);
  const key = await accountKeyFromMnemonic(anvil.mnemonic, "evm");
  me = key.address;
  chain = connectEvmParticipantChain({ rpcUrl: anvil.rpcUrl, contract: tally.address, key });
}, 120_000);

afterAll(async () => {
  chain?.close();
  provider?.destroy();
  await anvil?.stop();
});

const mineTo = async (height: bigint) => {
  const now = BigInt(await provider.getBlockNumber());
  if (height > now) await provider.send("anvil_mine", [`0x${(height - now).toString(16)}`]);
};

describe("the participant's EVM chain", () => {
  it("registers, follows the current stage and commits within the window with increasing counts", async () => {
    expect(me).toBe(deriveKey(anvil.mnemonic, "evm").address);
    const reg = await chain.register("pk-0", "http://127.0.0.1:1");
    expect(reg.ok).toBe(true);
    expect(await chain.participants()).toEqual([
      expect.objectContaining({ address: me, pocPublicKey: "pk-0", proofApiUrl: "http://127.0.0.1:1" }),
    ]);
    const now = BigInt(await provider.getBlockNumber());
    const stage = (now / TIMING.stageLength + 1n) * TIMING.stageLength;
    await mineTo(stage);
    const { stage: info, currentHeight } = await chain.currentStage();
    expect(currentHeight).toBe(stage);
    expect(info.stageHeight).toBe(stage);
    expect(info.commitEndHeight).toBe(stage + TIMING.commitWindow - 1n);
    expect(info.generationSeed).toBe((await provider.getBlock(stage))!.hash!.slice(2));

    const root = new Uint8Array(32).fill(1);
    const first = await chain.commit(stage, 10n, root);
    expect(first).toMatchObject({ ok: true, height: stage + 1n });
    const same = await chain.commit(stage, 10n, root);
    expect(same).toMatchObject({ ok: false, code: "CountNotIncreasing" });
    expect(await chain.commit(stage, 12n, new Uint8Array(32).fill(2))).toMatchObject({ ok: true });
    expect((await chain.commitments(stage)).map((c) => [c.participant, c.count, c.rootHash[0]])).toEqual([
      [me, 12n, 2],
    ]);
    await mineTo(stage + TIMING.commitWindow);
    expect(await chain.commit(stage, 20n, root)).toMatchObject({ ok: false, code: "OutsideCommitWindow" });
    const snapshot = await chain.stakeSnapshot(stage);
    expect(snapshot.validators.map((v) => v.address)).toEqual([
      HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(anvil.mnemonic), "m/44'/60'/0'/0/1").address.toLowerCase(),
    ]);
  }, 120_000);
});
