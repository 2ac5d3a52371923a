import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HomeError, initHome, type KeyFile, parseNodeGenesis, readKeyFile } from "../../src/node/index.js";
import { tempHome } from "./helpers.js";

describe("initHome", () => {
  let home: string;
  let cleanup: () => Promise<void>;
  let keys: KeyFile[];

  beforeAll(async () => {
    ({ home, cleanup } = await tempHome());
    ({ keys } = await initHome({
      home,
      chainId: "test-1",
      validators: 2,
      stakes: [5n, 7n],
      participants: 1,
      timing: { stageLength: 40n },
    }));
  });
  afterAll(() => cleanup());

  it("writes a key file per account whose mnemonic derives its address on the standard HD path", async () => {
    expect(keys.map((k) => k.name)).toEqual(["validator-0", "validator-1", "participant-0", "authority"]);
    expect((await readdir(join(home, "keys"))).sort()).toEqual([
      "authority.json",
      "participant-0.json",
      "validator-0.json",
      "validator-1.json",
    ]);
    for (const key of keys) {
      const file = await readKeyFile(join(home, "keys", `${key.name}.json`));
      expect(file).toEqual(key);
      expect(file.mnemonic.split(" ")).toHaveLength(24);
      const wallet = await DirectSecp256k1HdWallet.fromMnemonic(file.mnemonic, { prefix: "pocval" });
      expect((await wallet.getAccounts())[0]!.address).toBe(file.address);
      expect((await stat(join(home, "keys", `${key.name}.json`))).mode & 0o077).toBe(0);
    }
  });

  it("writes a genesis with funded accounts, staked validators, the authority and the timing asked for", async () => {
    const text = await readFile(join(home, "genesis.json"), "utf8");
    const { genesis, pocval } = parseNodeGenesis(text, "genesis.json");
    expect(genesis.chain_id).toBe("test-1");
    expect(genesis.validators.map((v) => v.power)).toEqual(["5", "7"]);
    expect(genesis.app_state.bank.balances.map((b) => b.address)).toEqual(keys.map((k) => k.address));
    expect(genesis.app_state.bank.balances[0]!.coins[0]!.denom).toBe("upoc");
    expect(pocval.validators.map((v) => [v.address, v.stake])).toEqual([
      [keys[0]!.address, "5"],
      [keys[1]!.address, "7"],
    ]);
    expect(pocval.authority).toBe(keys[3]!.address);
    expect(pocval.timing?.stageLength).toBe(40n);
  });

  it("refuses to overwrite an existing home", async () => {
    await expect(initHome({ home })).rejects.toThrow(/refusing to overwrite/);
  });

  it("names the option at fault", async () => {
    const t = await tempHome();
    await expect(initHome({ home: t.home, validators: 0 })).rejects.toThrow(/validators must be/);
    await expect(initHome({ home: t.home, validators: 2, stakes: [1n] })).rejects.toThrow(/stakes has 1 entries/);
    await expect(initHome({ home: t.home, stakes: [0n] })).rejects.toThrow(/stakes\[0\]/);
    await expect(initHome({ home: t.home, chainId: "bad chain" })).rejects.toThrow(/chainId/);
    await expect(initHome({ home: t.home, participants: -1 })).rejects.toThrow(/participants/);
    await t.cleanup();
  });

  it("names the file and field of a bad key file or genesis", async () => {
    const t = await tempHome();
    await mkdir(t.home, { recursive: true });
    const path = join(t.home, "k.json");
    await writeFile(path, JSON.stringify({ name: "x", address: "cosmos1abc", mnemonic: "one two" }));
    await expect(readKeyFile(path)).rejects.toThrow(HomeError);
    await expect(readKeyFile(path)).rejects.toThrow(/address: must be a pocval1/);
    expect(() => parseNodeGenesis('{"chain_id": 5}', "g.json")).toThrow(/g\.json: .*chain_id/);
    expect(() => parseNodeGenesis("{", "g.json")).toThrow(/not valid JSON/);
    await t.cleanup();
  });

  it("answers any JSON that is not a genesis with a HomeError, never another exception", async () => {
    const valid = JSON.parse(await readFile(join(home, "genesis.json"), "utf8")) as Record<string, unknown>;
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(...Object.keys(valid)), (junk, field) => {
        for (const doc of [junk, { ...valid, [field]: junk }]) {
          try {
            parseNodeGenesis(JSON.stringify(doc), "g.json");
          } catch (err) {
            expect(err).toBeInstanceOf(HomeError);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
