// `pocval sidecar doctor` on an EVM chain: a PocvalTally on a real anvil, the validator's key a
// mnemonic file (its account on the Ethereum HD path), a reference backend. Healthy, every line is
// ok and it exits 0; with another chain id the node line fails, with an unfunded or unstaked account
// the account line does.
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { HDNodeWallet } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ReferenceBackend, startReferenceBackend } from "../../src/backend/index.js";
import { defaultParams } from "../../src/chain/index.js";
import { kCritTable, paramsTuple, sortedStakes } from "../../src/evm/index.js";
import { type Harness, startHarness } from "../evm/harness.js";
import { tempDir } from "./integration-helpers.js";

const BIN = fileURLToPath(new URL("../../bin/pocval.js", import.meta.url));

function pocval(args: string[]): Promise<{ status: number; lines: string[] }> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 60_000 }, (err, stdout, stderr) => {
      if (process.env.POCVAL_TEST_LOGS) process.stderr.write(stdout + stderr);
      done({ status: err === null ? 0 : Number(err.code), lines: `${stdout}${stderr}`.trim().split("\n") });
    });
  });
}

describe("pocval sidecar doctor on an EVM chain (anvil)", () => {
  const temp = tempDir("pocval-doctor-evm-");
  let h: Harness;
  let backend: ReferenceBackend;
  let mnemonicFile: string;

  async function doctor(name: string, flags: string[]) {
    const config = join(temp.dir, `${name}.yaml`);
    const init = await pocval([
      "sidecar",
      "init",
      "--chain",
      "evm",
      "--rpc",
      h.anvil.rpcUrl,
      "--contract",
      h.tally.address,
      "--backend",
      backend.url,
      "--journal",
      join(temp.dir, `${name}.db`),
      "--metrics-port",
      "0",
      "--out",
      config,
      ...flags,
    ]);
    expect(init.status).toBe(0);
    return pocval(["sidecar", "doctor", "--config", config, "--timeout-ms", "15000"]);
  }

  beforeAll(async () => {
    const timing = { stageLength: 10n, stageOffset: 0n, commitWindow: 4n, validationWindow: 4n };
    h = await startHarness(2, timing);
    const [gov, other] = h.wallets;
    const s = sortedStakes([
      { validator: gov!.address, stake: 60n },
      { validator: other!.address, stake: 40n },
    ]);
    const params = defaultParams();
    await Promise.all([
      h.send(gov!, "setParams", paramsTuple(params), kCritTable(params)),
      h.send(gov!, "setStakes", s.validators, s.stakes),
    ]);
    await h.mine();
    await h.mineUntil((await h.nextStage()) + 1n);
    backend = await startReferenceBackend({ profile: "h100-fp8" });
    mnemonicFile = join(temp.dir, "mnemonic");
    writeFileSync(mnemonicFile, `${h.anvil.mnemonic}\n`, { mode: 0o600 });
  }, 60_000);

  afterAll(async () => {
    await backend?.stop();
    await h?.close();
    temp.remove();
  });

  it("passes every check with the staked account's mnemonic and the right chain id", async () => {
    const { status, lines } = await doctor("healthy", ["--chain-id", "31337", "--mnemonic-file", mnemonicFile]);
    expect(lines.filter((l) => !l.startsWith("ok "))).toEqual(["all checks passed"]);
    expect(lines.find((l) => l.startsWith("ok   account"))).toMatch(/bonded, stake 60 of 100 \(60%\)/);
    expect(lines.find((l) => l.startsWith("ok   node"))).toContain("chain 31337");
    expect(status).toBe(0);
  }, 60_000);

  it("another chain id fails the node line; an account without funds, then without stake, fails the account line", async () => {
    const wrong = await doctor("wrong-chain", ["--chain-id", "1", "--mnemonic-file", mnemonicFile]);
    expect(wrong.lines.filter((l) => l.startsWith("FAIL"))).toEqual([
      `FAIL node       ${h.anvil.rpcUrl} is on chain "31337", the config says chain.id "1" -> do: point the RPC URL at a node of the right chain, or correct chain.id`,
    ]);
    expect(wrong.status).toBe(1);
    const phrase = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
    const stranger = join(temp.dir, "stranger");
    writeFileSync(stranger, `${phrase}\n`, { mode: 0o600 });
    const address = HDNodeWallet.fromPhrase(phrase, undefined, "m/44'/60'/0'/0/0").address.toLowerCase();
    const broke = await doctor("broke", ["--chain-id", "31337", "--mnemonic-file", stranger]);
    expect(broke.lines.filter((l) => l.startsWith("FAIL"))).toEqual([
      `FAIL account    ${address}: no balance to pay for vote transactions -> do: fund it`,
    ]);
    expect(broke.status).toBe(1);
    // Funded, it is still no validator: the stake snapshot does not hold it.
    await h.wallets[1]!.sendTransaction({ to: address, value: 10n ** 18n });
    await h.mine();
    const unstaked = await doctor("unstaked", ["--chain-id", "31337", "--mnemonic-file", stranger]);
    expect(unstaked.lines.filter((l) => l.startsWith("FAIL"))).toEqual([
      expect.stringMatching(
        new RegExp(`^FAIL account {4}${address}: not bonded \\(not in stage \\d+'s stake snapshot of 2 validators\\)`),
      ),
    ]);
    expect(unstaked.status).toBe(1);
  }, 120_000);
});
