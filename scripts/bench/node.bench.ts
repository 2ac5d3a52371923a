import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SigningStargateClient } from "@cosmjs/stargate";
import { BaseAccount } from "cosmjs-types/cosmos/auth/v1beta1/auth";
import { QueryAccountRequest, QueryAccountResponse } from "cosmjs-types/cosmos/auth/v1beta1/query";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { type App, openApp } from "../../src/app/index.js";
import { decodeTx, signDocBytes, verifySecp256k1 } from "../../src/app/tx.js";
import { createPocvalRegistry, typeUrls } from "../../src/client/index.js";
import { Reason, Verdict } from "../../src/gen/pocval/v1/types.js";
import { initHome, type KeyFile, parseNodeGenesis, walletFromKeyFile } from "../../src/node/index.js";
import { fmt, timeMs } from "./util.js";

const VALIDATORS = Number(process.env.NODE_BENCH_VALIDATORS ?? 40);
const PARTICIPANTS = Number(process.env.NODE_BENCH_PARTICIPANTS ?? 25);
// Stage 1: commits at heights 1..3, votes from height 5 on.
const timing = { stageLength: 1000n, stageOffset: 1n, commitWindow: 3n, validationWindow: 900n };
const ROUNDS = 3;
const fee = { amount: [{ denom: "upoc", amount: "5000" }], gas: "400000" };

type Msg = { typeUrl: string; value: unknown };

// Deriving a wallet from its mnemonic (BIP-39 PBKDF2) costs far more than signing: once per key.
const signers = new Map<string, Promise<SigningStargateClient>>();
function signerFor(key: KeyFile): Promise<SigningStargateClient> {
  let signer = signers.get(key.address);
  if (!signer) {
    signer = walletFromKeyFile(key).then((wallet) =>
      SigningStargateClient.offline(wallet, { registry: createPocvalRegistry() }),
    );
    signers.set(key.address, signer);
  }
  return signer;
}

function accountNumber(app: App, address: string): bigint {
  const r = app.query("/cosmos.auth.v1beta1.Query/Account", QueryAccountRequest.encode({ address }).finish());
  return BaseAccount.decode(QueryAccountResponse.decode(r.value).account!.value).accountNumber;
}

async function sign(app: App, key: KeyFile, msgs: Msg[], sequence: number): Promise<Uint8Array> {
  const client = await signerFor(key);
  const raw = await client.sign(key.address, msgs, fee, "", {
    accountNumber: accountNumber(app, key.address),
    sequence,
    chainId: app.chainId,
  });
  return TxRaw.encode(raw).finish();
}

/** An app at the start of stage 1's validation window, with every participant registered and committed. */
async function preparedApp(genesisText: string, keys: KeyFile[]): Promise<App> {
  const { genesis, pocval } = parseNodeGenesis(genesisText, "genesis.json");
  const app = openApp({ dbPath: ":memory:", genesis, pocvalGenesis: pocval, genesisDigest: "bench" });
  const participants = keys.filter((k) => k.name.startsWith("participant-"));
  const register = await Promise.all(
    participants.map((p) =>
      sign(
        app,
        p,
        [
          {
            typeUrl: typeUrls.registerParticipant,
            value: { creator: p.address, pocPublicKey: p.name, proofApiUrl: "http://p" },
          },
        ],
        0,
      ),
    ),
  );
  app.commitBlock(register, 1);
  const commit = await Promise.all(
    participants.map((p) =>
      sign(
        app,
        p,
        [
          {
            typeUrl: typeUrls.commitArtifacts,
            value: { creator: p.address, stageHeight: 1n, count: 1000n, rootHash: new Uint8Array(32).fill(3) },
          },
        ],
        1,
      ),
    ),
  );
  const results = app.commitBlock(commit, 2).results;
  if (results.some((r) => r.code !== 0))
    throw new Error(`setup commit failed: ${results.find((r) => r.code !== 0)?.log}`);
  for (let t = 3; t <= 4; t++) app.commitBlock([], t);
  return app;
}

/**
 * Signed MsgSubmitVotes txs accepted per second on one core, in process: CheckTx then DeliverTx
 * (signature verification included), against verifying the same signatures in a bare loop.
 */
export async function bench(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "pocval-node-bench-"));
  try {
    const home = join(dir, "home");
    const { keys } = await initHome({ home, validators: VALIDATORS, participants: PARTICIPANTS, timing });
    const genesisText = await readFile(join(home, "genesis.json"), "utf8");
    const validators = keys.filter((k) => k.name.startsWith("validator-"));
    const participants = keys.filter((k) => k.name.startsWith("participant-"));

    // One tx per (validator, participant): each validator's txs carry consecutive sequences.
    const signing = await preparedApp(genesisText, keys);
    const txs: Uint8Array[] = [];
    for (const v of validators) {
      const client = await signerFor(v);
      const number = accountNumber(signing, v.address);
      for (const [i, p] of participants.entries()) {
        const vote = {
          participant: p.address,
          verdict: i % 10 === 0 ? Verdict.VERDICT_CHEATER : Verdict.VERDICT_HONEST,
          reason: Reason.REASON_STAT_TEST,
          checked: 200,
          mismatches: i % 10 === 0 ? 30 : 4,
          pValue: i % 10 === 0 ? "0.0000001" : "0.56",
          evidenceHash: new Uint8Array(32).fill(i),
        };
        const raw = await client.sign(
          v.address,
          [{ typeUrl: typeUrls.submitVotes, value: { creator: v.address, stageHeight: 1n, votes: [vote] } }],
          fee,
          "",
          { accountNumber: number, sequence: i, chainId: signing.chainId },
        );
        txs.push(TxRaw.encode(raw).finish());
      }
    }
    signing.close();
    console.log(
      `${txs.length} signed vote txs (${VALIDATORS} validators x ${PARTICIPANTS} participants), ${txs[0]!.length} bytes each`,
    );

    // Baseline: verify the same signatures over their sign bytes, nothing else.
    const prepared = txs.map((bytes) => {
      const tx = decodeTx(bytes);
      return { sig: tx.signatures[0]!, pub: tx.signers[0]!.pubKey!, doc: tx };
    });
    const signBytes = await (async () => {
      const app = await preparedApp(genesisText, keys);
      const out = prepared.map((p, i) =>
        signDocBytes(p.doc, app.chainId, accountNumber(app, validators[Math.floor(i / PARTICIPANTS)]!.address)),
      );
      app.close();
      return out;
    })();
    // Best of ROUNDS for each figure: the machine may be shared, the minimum is the least disturbed.
    let bareMs = Number.POSITIVE_INFINITY;
    for (let round = 0; round < ROUNDS; round++) {
      let verifiedOk = 0;
      const ms = await timeMs(() => {
        prepared.forEach((p, i) => {
          if (verifySecp256k1(p.sig, signBytes[i]!, p.pub)) verifiedOk++;
        });
      });
      if (verifiedOk !== txs.length) throw new Error(`only ${verifiedOk} of ${txs.length} signatures verified`);
      bareMs = Math.min(bareMs, ms);
    }

    // CheckTx (signature verified once, remembered) then DeliverTx of all of them in one block.
    let pipelineMs = Number.POSITIVE_INFINITY;
    for (let round = 0; round < ROUNDS; round++) {
      const app = await preparedApp(genesisText, keys);
      let block: ReturnType<App["commitBlock"]> | undefined;
      const ms = await timeMs(() => {
        for (const tx of txs) {
          const r = app.checkTx(tx);
          if (r.code !== 0) throw new Error(`CheckTx rejected a vote: ${r.log}`);
        }
        block = app.commitBlock(txs, 5);
      });
      const failed = block!.results.filter((r) => r.code !== 0);
      if (failed.length > 0) throw new Error(`${failed.length} votes failed in DeliverTx: ${failed[0]!.log}`);
      app.close();
      pipelineMs = Math.min(pipelineMs, ms);
    }

    // DeliverTx alone, verifying every signature itself (as a block from another proposer would).
    let deliverMs = Number.POSITIVE_INFINITY;
    for (let round = 0; round < ROUNDS; round++) {
      const fresh = await preparedApp(genesisText, keys);
      deliverMs = Math.min(deliverMs, await timeMs(() => fresh.commitBlock(txs, 5)));
      fresh.close();
    }

    const rate = (ms: number) => (txs.length / ms) * 1000;
    console.log(`bare secp256k1 verification:        ${fmt(rate(bareMs), 0)} sig/s (${fmt(bareMs, 0)} ms)`);
    console.log(`CheckTx + DeliverTx + commit:       ${fmt(rate(pipelineMs), 0)} tx/s (${fmt(pipelineMs, 0)} ms)`);
    console.log(`DeliverTx + commit, verifying:      ${fmt(rate(deliverMs), 0)} tx/s (${fmt(deliverMs, 0)} ms)`);
    console.log(
      `ratio accepted tx/s : bare sig/s = ${fmt(rate(pipelineMs) / rate(bareMs), 3)} (DeliverTx-only ${fmt(rate(deliverMs) / rate(bareMs), 3)})`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
