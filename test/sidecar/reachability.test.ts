// The guard against blaming participants for the sidecar's own unreachability: unit behaviour,
// then on a localnet where no committed participant's proof API can be reached (as when the
// validator's own network is down): no UNAVAILABLE vote is cast, every participant is abstained on.
import { join } from "node:path";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice, SigningStargateClient } from "@cosmjs/stargate";
import { afterAll, describe, expect, it } from "vitest";
import { startReferenceBackend } from "../../src/backend/index.js";
import { BECH32_PREFIX, createPocvalRegistry, DEFAULT_GAS_PRICE, typeUrls } from "../../src/client/index.js";
import { initHome, type RunningNode, startNode } from "../../src/node/index.js";
import { parseSidecarConfig, startSidecar } from "../../src/sidecar/index.js";
import { createReachability } from "../../src/sidecar/reachability.js";
import { devNull, tempDir, until } from "./integration-helpers.js";

describe("createReachability", () => {
  it("resolves waiters once reached, and false when the signal aborts first", async () => {
    const r = createReachability();
    const controller = new AbortController();
    const waiting = r.waitReached(controller.signal);
    expect(r.reached()).toBe(false);
    r.markReached();
    expect(await waiting).toBe(true);
    expect(await r.waitReached(AbortSignal.abort())).toBe(true);
    const never = createReachability();
    const c2 = new AbortController();
    const pending = never.waitReached(c2.signal);
    c2.abort();
    expect(await pending).toBe(false);
    expect(await createReachability(true).waitReached(AbortSignal.abort())).toBe(true);
  });
});

describe("no proof API reachable in a stage", () => {
  const temp = tempDir();
  let node: RunningNode | undefined;
  const stops: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const s of stops.reverse()) await s();
    await node?.stop();
    temp.remove();
  });

  it("abstains on every participant instead of voting UNAVAILABLE", async () => {
    const timing = { stageLength: 40n, stageOffset: 0n, commitWindow: 8n, validationWindow: 15n };
    const home = join(temp.dir, "home");
    const { keys } = await initHome({
      home,
      validators: 1,
      participants: 2,
      timing,
      params: { proofRequestBudget: 2 },
    });
    node = await startNode({ home, rpc: "127.0.0.1:0", blockTimeMs: 150 });
    const participants = keys.filter((k) => k.name.startsWith("participant-"));
    const clients = await Promise.all(
      participants.map(async (p) =>
        SigningStargateClient.connectWithSigner(
          node!.rpcUrl,
          await DirectSecp256k1HdWallet.fromMnemonic(p.mnemonic, { prefix: BECH32_PREFIX }),
          {
            registry: createPocvalRegistry(),
            gasPrice: GasPrice.fromString(DEFAULT_GAS_PRICE),
            broadcastPollIntervalMs: 100,
          },
        ),
      ),
    );
    stops.push(async () => {
      for (const c of clients) c.disconnect();
    });
    // Registered proof APIs that nothing listens on.
    await Promise.all(
      participants.map((p, i) =>
        clients[i]!.signAndBroadcast(
          p.address,
          [
            {
              typeUrl: typeUrls.registerParticipant,
              value: { creator: p.address, pocPublicKey: `pk-${i}`, proofApiUrl: "http://127.0.0.1:1" },
            },
          ],
          "auto",
        ),
      ),
    );
    const stage = (node.height() / timing.stageLength + 1n) * timing.stageLength;
    await until("the stage start", () => (node!.height() >= stage ? true : undefined));
    for (const [i, p] of participants.entries()) {
      const res = await clients[i]!.signAndBroadcast(
        p.address,
        [
          {
            typeUrl: typeUrls.commitArtifacts,
            value: { creator: p.address, stageHeight: stage, count: 50n, rootHash: new Uint8Array(32).fill(i + 1) },
          },
        ],
        "auto",
      );
      expect(res.code, res.rawLog).toBe(0);
    }
    const backend = await startReferenceBackend({ profile: "h100-fp8" });
    stops.push(() => backend.stop());
    const sidecar = await startSidecar(
      parseSidecarConfig({
        node: { rpcUrl: node.rpcUrl, pollIntervalMs: 100 },
        key: { keyFile: join(home, "keys", "validator-0.json") },
        backend: { urls: [backend.url] },
        proofApi: { retry: { baseDelayMs: 50, maxDelayMs: 100 } },
        journal: { path: join(temp.dir, "sidecar.db") },
        metrics: { port: 0 },
        log: { level: "silent", progress: "off" },
      }),
      { logStream: devNull() },
    );
    stops.push(() => sidecar.stop());
    const end = stage + timing.commitWindow + timing.validationWindow;
    await until("the end of the validation window", () => (node!.height() > end + 1n ? true : undefined), 30_000);
    const text = await (await fetch(`${sidecar.metricsUrl}/metrics`)).text();
    expect(text).toMatch(/pocval_sidecar_abstentions_total\{cause="no_participant_reachable"\} 2/);
    expect(text).not.toMatch(/pocval_sidecar_votes_decided_total\{/);
    const votes = await fetch(`${sidecar.metricsUrl}/healthz`).then(
      (r) => r.json() as Promise<{ votes: Record<string, number> }>,
    );
    expect(votes.votes).toEqual({ pending: 0, in_flight: 0, submitted: 0, expired: 0 });
  }, 60_000);
});
