import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadParticipantKey, ParticipantKeyError } from "../../src/participant/key.js";
import { tempDir } from "./helpers.js";

const temp = tempDir();
afterAll(() => temp.remove());

// A fixed, public test mnemonic (a BIP-39 test vector).
const MNEMONIC = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

describe("participant key", () => {
  it("derives the same account from a mnemonic file, a key file and an environment variable", async () => {
    const mnemonicFile = join(temp.dir, "mnemonic.txt");
    writeFileSync(mnemonicFile, `${MNEMONIC}\n`);
    const fromFile = await loadParticipantKey({ mnemonicFile });
    expect(fromFile.address).toMatch(/^pocval1/);
    expect(fromFile.publicKeyHex).toMatch(/^0[23][0-9a-f]{64}$/);
    const keyFile = join(temp.dir, "participant.json");
    writeFileSync(keyFile, JSON.stringify({ name: "participant-0", address: fromFile.address, mnemonic: MNEMONIC }));
    expect((await loadParticipantKey({ keyFile })).address).toBe(fromFile.address);
    const fromEnv = await loadParticipantKey({ mnemonicEnv: "M" }, { M: MNEMONIC });
    expect(fromEnv.address).toBe(fromFile.address);
  });

  it("refuses a missing variable, a bad mnemonic and a key file whose address differs, without echoing the key", async () => {
    await expect(loadParticipantKey({ mnemonicEnv: "NOPE" }, {})).rejects.toThrow(/NOPE is not set/);
    await expect(loadParticipantKey({ mnemonicEnv: "M" }, { M: "not a mnemonic" })).rejects.toThrow(
      ParticipantKeyError,
    );
    const keyFile = join(temp.dir, "wrong.json");
    writeFileSync(keyFile, JSON.stringify({ name: "x", address: "pocval1other", mnemonic: MNEMONIC }));
    const err = await loadParticipantKey({ keyFile }).then(
      () => new Error("loaded"),
      (e: unknown) => e as Error,
    );
    expect(err.message).toMatch(/not pocval1other/);
    expect(err.message).not.toContain("abandon");
  });
});
