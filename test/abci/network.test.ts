import { execFileSync } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SigningStargateClient, StargateClient } from "@cosmjs/stargate";
import { Comet38Client, connectComet } from "@cosmjs/tendermint-rpc";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { describe, expect, it } from "vitest";
import { createPocvalRegistry } from "../../src/client/index.js";
import { loadScenario, runLocalnet } from "../../src/localnet/index.js";
import { type KeyFile, walletFromKeyFile } from "../../src/node/index.js";
import { signingClient } from "../node/helpers.js";

// A real 4-validator CometBFT 0.38 network on loopback (scripts/install-cometbft.sh puts the binary
// in .tools/bin), each validator a `cometbft` node plus a `pocval abci` app, driven by the localnet
// runner with the cometbft-4 scenario. Faults are real: kill -9 of a validator's two processes.

const SCENARIO = fileURLToPath(new URL("../../localnet/scenarios/cometbft-4.json", import.meta.url));

interface StatusReply {
  result: { sync_info: { latest_block_height: string } };
}
interface BlockReply {
  result: { block: { header: { app_hash: string } } };
}
const heightOf = async (rpc: string): Promise<number> =>
  Number(((await (await fetch(`${rpc}/status`)).json()) as StatusReply).result.sync_info.latest_block_height);
const appHashAt = async (rpc: string, height: number): Promise<string> =>
  ((await (await fetch(`${rpc}/block?height=${height}`)).json()) as BlockReply).result.block.header.app_hash;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function untilHeight(rpc: string, target: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const h = await heightOf(rpc).catch(() => 0);
    if (h >= target) return h;
    if (Date.now() > deadline) throw new Error(`${rpc} stayed at height ${h}, below ${target}, for ${timeoutMs} ms`);
    await sleep(200);
  }
}

describe("the pocval chain under CometBFT 0.38 (4 validators)", () => {
  it("keeps every verdict right through a crashed validator and a halt of two, catches up, and serves cosmjs", async () => {
    const scenario = await loadScenario(SCENARIO);
    const events: string[] = [];
    const log: string[] = [];
    const run = await runLocalnet(scenario, {
      engine: "cometbft",
      keep: true,
      progress: (line) => log.push(line),
      async onPhase({ phase, control }) {
        const [rpc0] = control.rpcUrls;
        if (phase === "sampling") {
          // One of four down (25% of the power): 75% > 2/3 keeps making blocks.
          await control.crash("validator-3");
          const h = await heightOf(rpc0!);
          await untilHeight(rpc0!, h + 3, 60_000);
          events.push("blocks continued with validator-3 down");
        }
        if (phase === "validation") {
          // Two of four down: 50% < 2/3, no block can commit.
          await control.crash("validator-2");
          await sleep(1500);
          const stalled = await heightOf(rpc0!);
          await sleep(5000);
          const after = await heightOf(rpc0!);
          expect(after - stalled).toBeLessThanOrEqual(0);
          events.push(`halted at ${after} with two down`);
          // validator-2 back (node and app from their homes): the chain resumes.
          await control.restart("validator-2");
          await untilHeight(rpc0!, after + 3, 120_000);
          events.push("resumed");
        }
      },
    });
    try {
      const { result, control } = run;
      if (!result.expectations_met) console.error(log.join("\n"));
      expect(events).toEqual([
        "blocks continued with validator-3 down",
        expect.stringMatching(/^halted at \d+ with two down$/),
        "resumed",
      ]);
      expect(result.engine).toBe("cometbft");
      expect(result.expectations_met).toBe(true);
      const byName = Object.fromEntries(result.stages[0]!.tallies.map((t) => [t.name, t]));
      for (const name of ["honest-h100", "honest-b200", "honest-a100"]) expect(byName[name]!.convicted).toBe(false);
      expect(byName["cheat-int4"]).toMatchObject({ convicted: true, reasons: ["STAT_TEST"] });
      expect(byName["cheat-partial"]).toMatchObject({ convicted: true, reasons: ["STAT_TEST"] });
      expect(byName["cheat-withhold"]).toMatchObject({ convicted: true, reasons: ["UNAVAILABLE"] });
      // validator-3 was down for the whole validation window: it abstained. validator-2 came back and
      // its votes landed exactly once per participant, like everyone else's.
      const votes = Object.fromEntries(result.validators.map((v) => [v.name, v.votes.map((x) => x.participant)]));
      expect(votes["validator-3"]).toEqual([]);
      for (const name of ["validator-0", "validator-1", "validator-2"]) {
        expect([...votes[name]!].sort()).toEqual(scenario.participants.map((p) => p.name).sort());
      }

      // validator-3 restarted: CometBFT's handshake and block sync bring its app to the others' state.
      const rpcs = control.rpcUrls;
      await control.restart("validator-3");
      const target = await heightOf(rpcs[0]!);
      await untilHeight(rpcs[3]!, target, 120_000);
      const hashes = await Promise.all(rpcs.map((rpc) => appHashAt(rpc, target)));
      expect(new Set(hashes).size).toBe(1);
      expect(hashes[0]).toMatch(/^[0-9A-F]{64}$/);

      await cosmjsAcceptance(rpcs, join(result.run_dir, "node", "keys"), result);
    } finally {
      await run.stop();
    }
    const processes = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" });
    expect(processes.split("\n").filter((line) => line.includes(run.result.run_dir))).toEqual([]);
    await rm(run.result.run_dir, { recursive: true, force: true });
  }, 600_000);
});

const readKey = async (dir: string, name: string): Promise<KeyFile> =>
  JSON.parse(await readFile(join(dir, `${name}.json`), "utf8")) as KeyFile;

/** The node suite's cosmjs checks, against CometBFT's own RPC and websocket. */
async function cosmjsAcceptance(rpcs: string[], keysDir: string, result: { run_dir: string }) {
  const [rpc0, rpc1] = [rpcs[0]!, rpcs[1]!];
  const sender = await readKey(keysDir, "authority");
  const receiver = await readKey(keysDir, "participant-0");
  const query = await StargateClient.connect(rpc1);
  const chainId = await query.getChainId();
  expect(chainId).toBe("pocval-cometbft-4");

  const ws = await connectComet(rpc0.replace(/^http/, "ws"));
  const blocks: number[] = [];
  const sub = ws.subscribeNewBlock().subscribe({ next: (b) => blocks.push(b.header.height) });

  // A signed send with "auto" gas (Simulate through abci_query), then balances, getTx and searchTx.
  const client = await signingClient(rpc0, sender);
  const before = BigInt((await query.getBalance(receiver.address, "upoc")).amount);
  const sent = await client.sendTokens(sender.address, receiver.address, [{ denom: "upoc", amount: "4321" }], "auto");
  expect(sent.code).toBe(0);
  expect(sent.gasUsed).toBeGreaterThan(0n);
  // CometBFT reports a block height once the block is stored, a moment before its app has committed
  // it: one more block makes sure node 1's app state includes the send.
  await untilHeight(rpc1, sent.height + 1, 30_000);
  expect(BigInt((await query.getBalance(receiver.address, "upoc")).amount)).toBe(before + 4321n);
  const found = await query.getTx(sent.transactionHash);
  expect(found?.height).toBe(sent.height);
  expect(found?.msgResponses[0]?.typeUrl).toBe("/cosmos.bank.v1beta1.MsgSendResponse");
  const bySender = await query.searchTx([{ key: "message.sender", value: sender.address }]);
  expect(bySender.map((t) => t.hash)).toContain(sent.transactionHash);
  const byTransfer = await query.searchTx([{ key: "transfer.recipient", value: receiver.address }]);
  expect(byTransfer.map((t) => t.hash)).toContain(sent.transactionHash);

  // A tx signed for another chain id is refused by CheckTx (code 4, the SDK's unauthorized).
  const offline = await SigningStargateClient.offline(await walletFromKeyFile(sender), {
    registry: createPocvalRegistry(),
  });
  const account = await query.getAccount(sender.address);
  const wrong = await offline.sign(
    sender.address,
    [
      {
        typeUrl: "/cosmos.bank.v1beta1.MsgSend",
        value: { fromAddress: sender.address, toAddress: receiver.address, amount: [{ denom: "upoc", amount: "1" }] },
      },
    ],
    { amount: [{ denom: "upoc", amount: "3000" }], gas: "300000" },
    "",
    { accountNumber: BigInt(account!.accountNumber), sequence: account!.sequence, chainId: "other-chain" },
  );
  const comet = await Comet38Client.connect(rpc0);
  const refused = await comet.broadcastTxSync({ tx: TxRaw.encode(wrong).finish() });
  expect(refused.code).toBe(4);
  expect(refused.log).toContain(`chain-id (${chainId})`);

  await untilHeight(rpc0, sent.height + 2, 30_000);
  expect(blocks.length).toBeGreaterThan(1);
  expect(blocks).toEqual([...blocks].sort((a, b) => a - b));
  sub.unsubscribe();
  ws.disconnect();
  comet.disconnect();
  client.disconnect();
  query.disconnect();
  void result;
}
