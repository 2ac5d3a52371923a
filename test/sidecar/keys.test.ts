import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { keyFromMnemonic, loadValidatorKey, SidecarKeyError } from "../../src/sidecar/index.js";
import { TEST_MNEMONIC } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "pocval-sidecar-keys-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("loadValidatorKey", () => {
  it("derives the same key from a mnemonic, a mnemonic file and a node key file", async () => {
    const fromText = await keyFromMnemonic(TEST_MNEMONIC);
    expect(fromText.address).toMatch(/^pocval1/);
    const mnemonicFile = join(dir, "mnemonic.txt");
    writeFileSync(mnemonicFile, `${TEST_MNEMONIC}\n`);
    expect((await loadValidatorKey({ mnemonicFile })).address).toBe(fromText.address);
    const keyFile = join(dir, "validator-0.json");
    writeFileSync(keyFile, JSON.stringify({ name: "validator-0", address: fromText.address, mnemonic: TEST_MNEMONIC }));
    const loaded = await loadValidatorKey({ keyFile });
    expect(loaded.address).toBe(fromText.address);
    expect(Buffer.from(loaded.privateKey).equals(Buffer.from(fromText.privateKey))).toBe(true);
  });

  it("refuses a key file whose address does not match, without printing the mnemonic", async () => {
    const keyFile = join(dir, "wrong.json");
    writeFileSync(keyFile, JSON.stringify({ name: "x", address: "pocval1notme", mnemonic: TEST_MNEMONIC }));
    const err = (await loadValidatorKey({ keyFile }).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(SidecarKeyError);
    expect(err.message).toMatch(/not pocval1notme/);
    expect(err.message).not.toContain("abandon");
    const bad = (await loadValidatorKey({ mnemonic: "secret words that are not bip39" }).catch(
      (e: unknown) => e,
    )) as Error;
    expect(bad).toBeInstanceOf(SidecarKeyError);
    expect(bad.message).not.toContain("secret");
  });
});
