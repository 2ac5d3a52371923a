// `npm run bench -- cometbft`: signed vote transactions per second through a 4-validator CometBFT
// 0.38 network (a `cometbft` node and a `pocval abci` app per validator) and through the embedded
// node, in the same run, and their ratio; blocks per second while the votes go in.
// Each engine: 4 validators and P participants that register and commit for one stage; then every
// validator signs one MsgSubmitVotes per participant (4 x P txs); four lanes (one per validator, in
// sequence order) broadcast them at once; timed from the first broadcast to the last inclusion.
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sha256 } from "@cosmjs/crypto";
import { QueryClient, SigningStargateClient, StargateClient } from "@cosmjs/stargate";
import { Comet38Client } from "@cosmjs/tendermint-rpc";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { createPocvalRegistry, setupPocvalExtension, typeUrls } from "../../src/client/index.js";
import { Reason, Verdict } from "../../src/gen/pocval/v1/types.js";
import { createSupervisor, initCometNetwork, startCometValidator } from "../../src/localnet/index.js";
import { initHome, type KeyFile, startNode, walletFromKeyFile } from "../../src/node/index.js";
import { fmt } from "./util.js";

const PARTICIPANTS = Number(process.env.COMETBFT_BENCH_PARTICIPANTS ?? 50);
const VALIDATORS = 4;
const BLOCK_MS = 300;
const STAGE = 40n;
const timing = { stageLength: 10_000n, stageOffset: STAGE, commitWindow: 60n, validationWindow: 5_000n };
const fee = { amount: [{ denom: "upoc", amount: "5000" }], gas: "400000" };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Figures {
  txs: number;
  seconds: number;
  blocks: number;
}

async function waitHeight(client: StargateClient, target: number, timeoutMs = 120_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const h = await client.getHeight();
    if (h >= target) return h;
    if (Date.now() > deadline) throw new Error(`height ${h} did not reach ${target}`);
    await sleep(50);
  }
}

/** Maps in order, one at a time (the embedded RPC caps concurrent connections). */
async function inTurn<T, R>(items: readonly T[], fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (const [i, item] of items.entries()) out.push(await fn(item, i));
  return out;
}

/** Signs one tx per message list with consecutive sequences, offline. */
async function signAll(key: KeyFile, msgsList: object[][], chainId: string, query: StargateClient) {
  const signer = await SigningStargateClient.offline(await walletFromKeyFile(key), {
    registry: createPocvalRegistry(),
  });
  const account = await query.getAccount(key.address);
  if (!account) throw new Error(`no account ${key.address}`);
  const out: Uint8Array[] = [];
  for (const [i, msgs] of msgsList.entries()) {
    const raw = await signer.sign(key.address, msgs as never, fee, "", {
      accountNumber: BigInt(account.accountNumber),
      sequence: account.sequence + i,
      chainId,
    });
    out.push(TxRaw.encode(raw).finish());
  }
  return out;
}

/** Broadcasts txs (sync) and waits until the last is in a block; returns the inclusion time. */
async function pushAll(comet: Comet38Client, query: StargateClient, txs: Uint8Array[]): Promise<string[]> {
  for (const tx of txs) {
    const r = await comet.broadcastTxSync({ tx });
    if (r.code !== 0) throw new Error(`CheckTx refused a tx: ${r.log}`);
  }
  const hashes = txs.map((tx) => Buffer.from(sha256(tx)).toString("hex"));
  const deadline = Date.now() + 300_000;
  while (!(await query.getTx(hashes[hashes.length - 1]!))) {
    if (Date.now() > deadline) throw new Error("the last tx was not included within 300 s");
    await sleep(50);
  }
  return hashes;
}

/** Throws naming the first failure unless every tx was included with code 0. */
async function checkAll(query: StargateClient, hashes: string[], what: string): Promise<void> {
  for (const hash of hashes) {
    const tx = await query.getTx(hash);
    if (!tx) throw new Error(`${what}: tx ${hash} was not included`);
    if (tx.code !== 0) throw new Error(`${what}: tx ${hash} failed with code ${tx.code}: ${tx.rawLog}`);
  }
}

async function runVotes(rpcUrl: string, keys: KeyFile[]): Promise<Figures> {
  const query = await StargateClient.connect(rpcUrl);
  const comet = await Comet38Client.connect(rpcUrl);
  const chainId = await query.getChainId();
  const validators = keys.filter((k) => k.name.startsWith("validator-"));
  const participants = keys.filter((k) => k.name.startsWith("participant-"));
  // Register and commit (setup, not timed).
  const register = await inTurn(participants, (p, i) =>
    signAll(
      p,
      [
        [
          {
            typeUrl: typeUrls.registerParticipant,
            value: { creator: p.address, pocPublicKey: `pk-${i}`, proofApiUrl: "http://127.0.0.1:1" },
          },
        ],
      ],
      chainId,
      query,
    ),
  );
  await checkAll(query, await pushAll(comet, query, register.flat()), "register");
  await waitHeight(query, Number(STAGE));
  const commits = await inTurn(participants, (p) =>
    signAll(
      p,
      [
        [
          {
            typeUrl: typeUrls.commitArtifacts,
            value: { creator: p.address, stageHeight: STAGE, count: 1000n, rootHash: new Uint8Array(32).fill(7) },
          },
        ],
      ],
      chainId,
      query,
    ),
  );
  await checkAll(query, await pushAll(comet, query, commits.flat()), "commit");
  await waitHeight(query, Number(STAGE + timing.commitWindow + 1n));
  const vote = (participant: string) => ({
    participant,
    verdict: Verdict.VERDICT_HONEST,
    reason: Reason.REASON_STAT_TEST,
    checked: 200,
    mismatches: 3,
    pValue: "0.76",
    evidenceHash: new Uint8Array(32).fill(1),
  });
  const signed = await inTurn(validators, (v) =>
    signAll(
      v,
      participants.map((p) => [
        {
          typeUrl: typeUrls.submitVotes,
          value: { creator: v.address, stageHeight: STAGE, votes: [vote(p.address)] },
        },
      ]),
      chainId,
      query,
    ),
  );
  // One lane per validator, as four sidecars would send: each lane in sequence order, lanes at once.
  const txs = signed.flat();
  const h0 = await query.getHeight();
  const start = performance.now();
  await Promise.all(
    signed.map(async (lane) => {
      for (const tx of lane) {
        const r = await comet.broadcastTxSync({ tx });
        if (r.code !== 0) throw new Error(`CheckTx refused a vote tx: ${r.log}`);
      }
    }),
  );
  const hashes = txs.map((tx) => Buffer.from(sha256(tx)).toString("hex"));
  await Promise.all(
    signed.map(async (lane) => {
      const last = Buffer.from(sha256(lane[lane.length - 1]!)).toString("hex");
      while (!(await query.getTx(last))) await sleep(20);
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const h1 = await query.getHeight();
  // Every vote landed (and only once).
  await checkAll(query, hashes, "vote");
  const votes = await QueryClient.withExtensions(comet, setupPocvalExtension).pocval.votes(STAGE);
  if (votes.length !== txs.length) throw new Error(`${votes.length} votes landed, expected ${txs.length}`);
  query.disconnect();
  comet.disconnect();
  return { txs: txs.length, seconds, blocks: h1 - h0 };
}

async function embedded(): Promise<Figures> {
  const dir = await mkdtemp(join(tmpdir(), "pocval-bench-embedded-"));
  const home = join(dir, "node");
  const { keys } = await initHome({ home, validators: VALIDATORS, participants: PARTICIPANTS, timing });
  const node = await startNode({ home, rpc: "127.0.0.1:0", blockTimeMs: BLOCK_MS });
  try {
    return await runVotes(node.rpcUrl, keys);
  } finally {
    await node.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function cometbft(): Promise<Figures> {
  const dir = await mkdtemp(join(tmpdir(), "pocval-bench-cometbft-"));
  await mkdir(join(dir, "logs"));
  const home = join(dir, "node");
  const { keys } = await initHome({ home, validators: VALIDATORS, participants: PARTICIPANTS, timing });
  const genesisPath = join(home, "genesis.json");
  const stakes = JSON.parse(await readFile(genesisPath, "utf8")).app_state.pocval.validators as {
    address: string;
    stake: string;
  }[];
  const network = await initCometNetwork({
    dir,
    genesisPath,
    validators: stakes.map((v, i) => ({ name: `validator-${i}`, address: v.address, stake: BigInt(v.stake) })),
    blockTimeMs: BLOCK_MS,
  });
  const supervisor = createSupervisor(dir);
  try {
    for (const v of network.validators) await startCometValidator(supervisor, v, network);
    const rpc = network.validators[0]!.rpcUrl;
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const q = await StargateClient.connect(rpc);
        const h = await q.getHeight();
        q.disconnect();
        if (h >= 1) break;
      } catch {}
      if (Date.now() > deadline) throw new Error("the CometBFT network did not start within 60 s");
      await sleep(200);
    }
    return await Promise.race([runVotes(rpc, keys), supervisor.failed]);
  } finally {
    await supervisor.stopAll();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function bench(): Promise<void> {
  console.log(
    `${VALIDATORS} validators x ${PARTICIPANTS} participants = ${VALIDATORS * PARTICIPANTS} signed vote txs (one vote each), 4 lanes broadcasting at once; ${BLOCK_MS} ms between blocks (embedded block time, CometBFT timeout_commit)`,
  );
  const e = await embedded();
  console.log(
    `embedded node:   ${e.txs} txs in ${fmt(e.seconds)} s = ${fmt(e.txs / e.seconds, 1)} tx/s; ${e.blocks} blocks = ${fmt(e.blocks / e.seconds)} blocks/s`,
  );
  const c = await cometbft();
  console.log(
    `CometBFT 4 nodes: ${c.txs} txs in ${fmt(c.seconds)} s = ${fmt(c.txs / c.seconds, 1)} tx/s; ${c.blocks} blocks = ${fmt(c.blocks / c.seconds)} blocks/s`,
  );
  console.log(
    `ratio CometBFT / embedded: ${fmt(c.txs / c.seconds / (e.txs / e.seconds), 3)} (tx/s), ${fmt(c.blocks / c.seconds / (e.blocks / e.seconds), 3)} (blocks/s)`,
  );
}
