// `npm run bench -- evm`: gas of PocvalTally measured on a real anvil (not estimated): per commit,
// per vote in batches of 100, per tally read, and a whole stage of 100 participants x 50 validators.
// The baseline measured in the same run is a plain value transfer (21000 gas).
import { ContractFactory, HDNodeWallet, JsonRpcProvider, Mnemonic, parseEther } from "ethers";
import { defaultParams } from "../../src/chain/index.js";
import { pocvalTallyAbi, pocvalTallyBytecode } from "../../src/evm/artifacts/PocvalTally.js";
import { kCritTable, paramsTuple, pocvalTally, sortedStakes, startAnvil } from "../../src/evm/index.js";
import { Reason, Verdict } from "../../src/gen/pocval/v1/types.js";
import { fmt } from "./util.js";

const PARTICIPANTS = Number(process.env.EVM_BENCH_PARTICIPANTS ?? 100);
const VALIDATORS = Number(process.env.EVM_BENCH_VALIDATORS ?? 50);
const TIMING = { stageLength: 600n, stageOffset: 0n, commitWindow: 250n, validationWindow: 250n };
const ZERO32 = new Uint8Array(32);

export async function bench(): Promise<void> {
  const accounts = PARTICIPANTS + VALIDATORS + 1;
  const anvil = await startAnvil({ accounts: 1 });
  const provider = new JsonRpcProvider(anvil.rpcUrl, undefined, {
    staticNetwork: true,
    pollingInterval: 10,
    cacheTimeout: -1,
  });
  try {
    const mnemonic = Mnemonic.fromPhrase(anvil.mnemonic);
    const root = HDNodeWallet.fromMnemonic(mnemonic, "m/44'/60'/0'/0/0").connect(provider);
    // Fresh keys funded by the first account (deriving 150 HD keys costs more than random ones).
    const wallets = Array.from({ length: accounts - 1 }, () => HDNodeWallet.createRandom().connect(provider));
    let nonce = await provider.getTransactionCount(root.address);
    const sent: Promise<unknown>[] = [];
    for (const w of wallets)
      sent.push(root.sendTransaction({ to: w.address, value: parseEther("10"), nonce: nonce++ }));
    await Promise.all(sent);
    const baseline = await (await root.sendTransaction({ to: wallets[0]!.address, value: 1n, nonce: nonce++ })).wait();
    const transferGas = Number(baseline!.gasUsed);

    const factory = new ContractFactory(pocvalTallyAbi as unknown as string[], pocvalTallyBytecode, root);
    const t = TIMING;
    const deployed = await factory.deploy(
      root.address,
      [t.stageLength, t.stageOffset, t.commitWindow, t.validationWindow],
      { nonce: nonce++ },
    );
    const deployReceipt = await deployed.deploymentTransaction()!.wait();
    const address = await deployed.getAddress();
    const tally = pocvalTally(address, root);
    const participants = wallets.slice(0, PARTICIPANTS);
    const validators = wallets.slice(PARTICIPANTS, PARTICIPANTS + VALIDATORS);
    const gasOf = async (from: HDNodeWallet, method: string, ...args: unknown[]) => {
      const c = tally.contract.connect(from) as typeof tally.contract;
      const tx = await c.getFunction(method).send(...args);
      const r = await tx.wait();
      return Number(r!.gasUsed);
    };
    const params = defaultParams();
    const paramsGas = await gasOf(root, "setParams", paramsTuple(params), kCritTable(params));
    const s = sortedStakes(validators.map((v, i) => ({ validator: v.address, stake: BigInt(1_000 + i) * 10n ** 18n })));
    const stakesGas = await gasOf(root, "setStakes", s.validators, s.stakes);
    const registerGas: number[] = [];
    for (const p of participants)
      registerGas.push(
        await gasOf(
          p,
          "register",
          new TextEncoder().encode("poc-public-key-0123456789abcdef"),
          "https://participant.example:8443",
        ),
      );

    const now = BigInt(await provider.getBlockNumber());
    const stage = (now / t.stageLength + 1n) * t.stageLength;
    await provider.send("anvil_mine", [`0x${(stage - now - 1n).toString(16)}`]);
    const firstCommit: number[] = [];
    for (const [i, p] of participants.entries())
      firstCommit.push(await gasOf(p, "commit", stage, BigInt(1000 + i), ZERO32));
    const secondCommit: number[] = [];
    for (const [i, p] of participants.entries())
      secondCommit.push(await gasOf(p, "commit", stage, BigInt(2000 + i), ZERO32));
    const here = BigInt(await provider.getBlockNumber());
    await provider.send("anvil_mine", [`0x${(stage + t.commitWindow - here).toString(16)}`]);
    const voteBatch: number[] = [];
    for (const [vi, v] of validators.entries()) {
      const votes = participants.map((p, pi) => ({
        participant: p.address,
        verdict: (pi + vi) % 10 === 0 ? Verdict.VERDICT_CHEATER : Verdict.VERDICT_HONEST,
        reason: (pi + vi) % 10 === 0 ? Reason.REASON_INVALID_PROOF : Reason.REASON_UNAVAILABLE,
        checked: 200,
        mismatches: 3,
        pValueE18: 500_000_000_000_000_000n,
        evidenceHash: ZERO32,
      }));
      voteBatch.push(await gasOf(v, "submitVotes", stage, votes));
    }
    const tallyCall = tally.contract.interface.encodeFunctionData("tally", [stage, participants[0]!.address]);
    const tallyGas = Number(await provider.estimateGas({ to: address, data: tallyCall })) - transferGas;
    const started = performance.now();
    for (const p of participants) await tally.tally(stage, p.address);
    const tallyMs = (performance.now() - started) / participants.length;

    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const mean = (xs: number[]) => sum(xs) / xs.length;
    const perVoteFirst = voteBatch[0]! / PARTICIPANTS;
    const perVoteLater = mean(voteBatch.slice(1)) / PARTICIPANTS;
    const stageGas = sum(firstCommit) + sum(secondCommit) + sum(voteBatch);
    const row = (name: string, gas: number) =>
      console.log(
        `${name.padEnd(52)} ${String(Math.round(gas)).padStart(11)} gas  ${fmt(gas / transferGas, 2).padStart(8)} x transfer`,
      );
    console.log(
      `PocvalTally on anvil ${await provider.send("web3_clientVersion", [])}, ${PARTICIPANTS} participants x ${VALIDATORS} validators`,
    );
    row("baseline: value transfer", transferGas);
    row("deploy", Number(deployReceipt!.gasUsed));
    row("setParams (sample_size 200, k_crit table)", paramsGas);
    row(`setStakes (${VALIDATORS} validators)`, stakesGas);
    row("register (mean)", mean(registerGas));
    row("commit, first of the stage (mean)", mean(firstCommit));
    row("commit, a later one (mean)", mean(secondCommit));
    row(`submitVotes batch of ${PARTICIPANTS}, first validator`, voteBatch[0]!);
    row(`submitVotes batch of ${PARTICIPANTS}, later validators (mean)`, mean(voteBatch.slice(1)));
    row("per vote, first validator", perVoteFirst);
    row("per vote, later validators", perVoteLater);
    row("tally() read (execution, without the 21000 base)", tallyGas);
    row(`whole stage: ${PARTICIPANTS} x 2 commits + ${VALIDATORS} x ${PARTICIPANTS} votes`, stageGas);
    console.log(`tally() eth_call round trip: ${fmt(tallyMs, 2)} ms (mean of ${PARTICIPANTS})`);
  } finally {
    provider.destroy();
    await anvil.stop();
  }
}
