import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HDNodeWallet, Mnemonic } from "ethers";
import { afterAll, describe, expect, it } from "vitest";
import { deriveKey, loadAccountKey } from "../../src/client/index.js";

const MNEMONIC = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
const dir = mkdtempSync(join(tmpdir(), "pocval-keys-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("key schemes", () => {
  it("the evm scheme is the mnemonic's account on m/44'/60'/0'/0/0, as ethers derives it", async () => {
    const wallet = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(MNEMONIC), "m/44'/60'/0'/0/0");
    const key = deriveKey(MNEMONIC, "evm");
    expect(key.address).toBe(wallet.address.toLowerCase());
    expect(Buffer.from(key.privateKey).toString("hex")).toBe(wallet.privateKey.slice(2));
    expect(deriveKey(MNEMONIC).address).toMatch(/^pocval1/);
  });

  it("a key file is checked against its Cosmos address, then gives the EVM account of the same mnemonic", async () => {
    const cosmos = deriveKey(MNEMONIC);
    const file = join(dir, "k.json");
    writeFileSync(file, JSON.stringify({ name: "v", address: cosmos.address, mnemonic: MNEMONIC }));
    const key = await loadAccountKey({ keyFile: file }, {}, "evm");
    expect(key.address).toBe(deriveKey(MNEMONIC, "evm").address);
    writeFileSync(file, JSON.stringify({ name: "v", address: key.address, mnemonic: MNEMONIC }));
    await expect(loadAccountKey({ keyFile: file }, {}, "evm")).rejects.toThrow(/field "address": the mnemonic derives/);
  });
});
