import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningNode, startNode } from "../../src/node/index.js";
import { tempHome } from "../node/helpers.js";
import { runCliAsync } from "./helpers.js";

const cli = (args: string[]) => runCliAsync(args);

describe("pocval node, query and tx", () => {
  let home: string;
  let cleanup: () => Promise<void>;
  let node: RunningNode;

  beforeAll(async () => {
    ({ home, cleanup } = await tempHome());
    const init = await cli([
      "node",
      "init",
      "--home",
      home,
      "--validators",
      "2",
      "--stakes",
      "10,30",
      "--participants",
      "1",
      "--json",
    ]);
    expect(init.status, init.stderr).toBe(0);
    node = await startNode({ home, rpc: "127.0.0.1:0", blockTimeMs: 100 });
  }, 60_000);

  afterAll(async () => {
    await node?.stop();
    await cleanup?.();
  });

  it("node init wrote the keys it lists and refuses a second init", async () => {
    const genesis = JSON.parse(await readFile(join(home, "genesis.json"), "utf8"));
    expect(genesis.validators.map((v: { power: string }) => v.power)).toEqual(["10", "30"]);
    const again = await cli(["node", "init", "--home", home]);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/refusing to overwrite/);
  });

  it("node init names a bad flag", async () => {
    const t = await tempHome();
    const [mismatch, zero, missing, badChain] = await Promise.all([
      cli(["node", "init", "--home", t.home, "--validators", "3", "--stakes", "1,2"]),
      cli(["node", "init", "--home", t.home, "--stakes", "1,0"]),
      cli(["node", "start"]),
      cli(["node", "init", "--home", t.home, "--chain-id", "no spaces"]),
    ]);
    expect(mismatch.status).toBe(2);
    expect(mismatch.stderr).toMatch(/--stakes has 2 entries but --validators is 3/);
    expect(zero.stderr).toMatch(/--stakes: entry 1/);
    expect(missing.stderr).toMatch(/--home/);
    expect(badChain.status).toBe(2);
    expect(badChain.stderr).toMatch(/--chain-id must be/);
    await t.cleanup();
  });

  it("tx register signs with a key file, and query shows the participant", async () => {
    const key = join(home, "keys", "participant-0.json");
    const { address } = JSON.parse(await readFile(key, "utf8"));
    const tx = await cli([
      "tx",
      "register",
      "--node",
      node.rpcUrl,
      "--key",
      key,
      "--poc-public-key",
      "pk-cli",
      "--proof-api-url",
      "http://127.0.0.1:9",
      "--json",
    ]);
    expect(tx.status, tx.stderr).toBe(0);
    const sent = JSON.parse(tx.stdout);
    expect(sent.code).toBe(0);
    expect(sent.tx_hash).toMatch(/^[0-9A-F]{64}$/);
    const [q, table] = await Promise.all([
      cli(["query", "participants", "--node", node.rpcUrl, "--json"]),
      cli(["query", "participants", "--node", node.rpcUrl]),
    ]);
    expect(q.status, q.stderr).toBe(0);
    expect(JSON.parse(q.stdout).participants).toEqual([
      expect.objectContaining({ address, pocPublicKey: "pk-cli", proofApiUrl: "http://127.0.0.1:9" }),
    ]);
    expect(table.stdout).toMatch(new RegExp(`^address\\s+poc_public_key.*\\n-[- ]+\\n${address}\\s+pk-cli`, "m"));
  }, 60_000);

  it("query params prints a table, and errors name the flag", async () => {
    const voteKey = join(home, "keys", "validator-0.json");
    const [params, noNode, badHeight, badVerdict, badKey] = await Promise.all([
      cli(["query", "params", "--node", node.rpcUrl]),
      cli(["query", "params"]),
      cli(["query", "tallies", "--node", node.rpcUrl, "--stage-height", "x"]),
      cli([
        "tx",
        "vote",
        "--node",
        node.rpcUrl,
        "--key",
        voteKey,
        "--stage-height",
        "2",
        "--participant",
        "p",
        "--verdict",
        "maybe",
      ]),
      cli(["tx", "register", "--node", node.rpcUrl, "--key", join(home, "nope.json")]),
    ]);
    expect(params.status, params.stderr).toBe(0);
    expect(params.stdout).toMatch(/^stage_length\s+\d+$/m);
    expect(noNode.status).toBe(2);
    expect(noNode.stderr).toMatch(/--node/);
    expect(badHeight.stderr).toMatch(/--stage-height must be/);
    expect(badVerdict.status).toBe(2);
    expect(badVerdict.stderr).toMatch(/--verdict/);
    expect(badKey.stderr).toMatch(/--key/);
  }, 60_000);

  it("tx commit and tx vote reach the module, whose rejection names the problem", async () => {
    const root = Buffer.alloc(32, 1).toString("base64");
    const [commit, vote] = await Promise.all([
      cli([
        "tx",
        "commit",
        "--node",
        node.rpcUrl,
        "--key",
        join(home, "keys", "participant-0.json"),
        "--stage-height",
        "3",
        "--count",
        "10",
        "--root-hash",
        root,
      ]),
      cli([
        "tx",
        "vote",
        "--node",
        node.rpcUrl,
        "--key",
        join(home, "keys", "validator-0.json"),
        "--stage-height",
        "2",
        "--participant",
        "pocval1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqnrql8a",
        "--verdict",
        "cheater",
        "--reason",
        "invalid-proof",
        "--checked",
        "5",
        "--mismatches",
        "1",
        "--p-value",
        "0.01",
      ]),
    ]);
    expect(commit.status).toBe(1);
    expect(commit.stderr).toMatch(/pocval tx: commit: .*stage/i);
    expect(commit.stderr).not.toMatch(/does not decode/);
    expect(vote.status).toBe(1);
    expect(vote.stderr).toMatch(/pocval tx: vote: /);
    expect(vote.stderr).not.toMatch(/does not decode|unrecognized message/);
  }, 60_000);
});
