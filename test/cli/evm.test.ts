import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { JsonRpcProvider } from "ethers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kCritTable } from "../../src/core/index.js";
import { pocvalTally, type RunningAnvil, startAnvil } from "../../src/evm/index.js";
import { runCliAsync } from "./helpers.js";

// `pocval evm deploy|set-stakes` against a real anvil: what an EVM chain operator runs.
let anvil: RunningAnvil;
let dir: string;

beforeAll(async () => {
  anvil = await startAnvil({ accounts: 2 });
  dir = mkdtempSync(join(tmpdir(), "pocval-evm-cli-"));
  writeFileSync(join(dir, "mnemonic"), `${anvil.mnemonic}\n`);
  writeFileSync(
    join(dir, "stakes.json"),
    JSON.stringify([
      { address: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", stake: "60" },
      { address: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", stake: "40" },
    ]),
  );
  writeFileSync(join(dir, "bad.json"), JSON.stringify([{ address: "0x12", stake: "-1" }]));
}, 60_000);

afterAll(async () => {
  await anvil?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("pocval evm", () => {
  it("deploys the contract with params, the exact k_crit table and a stake snapshot, then sets another", async () => {
    const key = ["--rpc", anvil.rpcUrl, "--mnemonic-file", join(dir, "mnemonic")];
    const r = await runCliAsync(
      [
        "evm",
        "deploy",
        ...key,
        "--stakes",
        join(dir, "stakes.json"),
        "--sample-size",
        "50",
        "--validation-slots",
        "3",
        "--proof-request-budget",
        "5",
        "--acceptance-rate",
        "0.015",
      ],
      120_000,
    );
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { contract: string; governance: string; validators: number };
    // The governance key is the mnemonic's account on the Ethereum HD path m/44'/60'/0'/0/0.
    expect(out.governance).toBe("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    expect(out.validators).toBe(2);
    const provider = new JsonRpcProvider(anvil.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
    try {
      const c = pocvalTally(out.contract, provider).contract;
      const [params, kCrit] = await c.getFunction("paramsAt")(1);
      expect(Number(params.sampleSize)).toBe(50);
      expect(Number(params.validationSlots)).toBe(3);
      expect([Number(params.proofRequestBudget), Number(params.proofResponseMs)]).toEqual([5, 30_000]);
      expect([params.earlyAcceptance, params.acceptanceRateE18]).toEqual([true, 15n * 10n ** 15n]);
      expect([...kCrit].map(Number)).toEqual(kCritTable(50, "0.02", "0.05").slice(1));
      const [validators, stakes, total] = await c.getFunction("stakesAt")(1);
      expect([...validators]).toEqual([
        "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
        "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
      ]);
      expect([...stakes]).toEqual([40n, 60n]);
      expect(total).toBe(100n);
      const again = await runCliAsync(
        ["evm", "set-stakes", ...key, "--contract", out.contract, "--stakes", join(dir, "stakes.json")],
        60_000,
      );
      expect(again.status).toBe(0);
      expect(await c.getFunction("stakesCount")()).toBe(2n);
    } finally {
      provider.destroy();
    }
  }, 180_000);

  it("names what is wrong in a stakes file", async () => {
    const r = await runCliAsync([
      "evm",
      "deploy",
      "--rpc",
      anvil.rpcUrl,
      "--mnemonic-file",
      join(dir, "mnemonic"),
      "--stakes",
      join(dir, "bad.json"),
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--stakes .*bad\.json must be a JSON array .* check 0\.address, 0\.stake/);
  }, 60_000);

  it("refuses an acceptance rate that is not below fp_rate, saying so, before it sends anything", async () => {
    const r = await runCliAsync([
      "evm",
      "deploy",
      "--rpc",
      anvil.rpcUrl,
      "--mnemonic-file",
      join(dir, "mnemonic"),
      "--acceptance-rate",
      "0.02",
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--acceptance-rate: 0\.02 is not below fp_rate 0\.02/);
  }, 60_000);
});
