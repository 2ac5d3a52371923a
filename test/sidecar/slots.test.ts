// Version 2 on a real localnet: validation slots on (2 per participant over 4 validators), each
// sidecar checks only the participants it holds slots of, the chain accepts every vote, and the
// tally counts slots. Real node, reference backends, participant agents and sidecars on loopback.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { QueryClient } from "@cosmjs/stargate";
import { Comet38Client, HttpClient } from "@cosmjs/tendermint-rpc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ReferenceBackend, startReferenceBackend } from "../../src/backend/index.js";
import { type PocvalExtension, setupPocvalExtension } from "../../src/client/index.js";
import { slotHolders } from "../../src/core/index.js";
import { type StageInfo, type StakeSnapshot, Verdict, type VoteRecord } from "../../src/gen/pocval/v1/types.js";
import { initHome, type KeyFile, type RunningNode, startNode } from "../../src/node/index.js";
import {
  parseParticipantConfig,
  type RunningParticipant,
  silentEventLog,
  startParticipant,
} from "../../src/participant/index.js";
import { parseSidecarConfig, type RunningSidecar, startSidecar } from "../../src/sidecar/index.js";
import { devNull, tempDir, until } from "./integration-helpers.js";

const timing = { stageLength: 36n, stageOffset: 0n, commitWindow: 16n, validationWindow: 14n };
const BLOCK_MS = 300;
const SLOTS = 2;
const STRATEGIES = ["honest", "int4"];

describe("sidecars with validation slots on", () => {
  const temp = tempDir("pocval-slots-");
  let node: RunningNode;
  let keys: KeyFile[];
  let query: QueryClient & PocvalExtension;
  const backends: ReferenceBackend[] = [];
  const participants = new Map<string, RunningParticipant>();
  const sidecars: RunningSidecar[] = [];
  let info: StageInfo;
  let snapshot: StakeSnapshot;
  let votes: VoteRecord[] = [];

  beforeAll(async () => {
    const home = join(temp.dir, "home");
    ({ keys } = await initHome({
      home,
      validators: 4,
      participants: STRATEGIES.length,
      timing,
      params: { alpha: "0.0001", sampleSize: 100, validationSlots: SLOTS },
    }));
    node = await startNode({ home, rpc: "127.0.0.1:0", blockTimeMs: BLOCK_MS });
    query = QueryClient.withExtensions(Comet38Client.create(new HttpClient(node.rpcUrl)), setupPocvalExtension);
    const participantBackend = await startReferenceBackend({ profile: "a100-fp8" });
    const int4Backend = await startReferenceBackend({ profile: "int4" });
    backends.push(participantBackend, int4Backend);
    for (const [i, strategy] of STRATEGIES.entries()) {
      const dataDir = join(temp.dir, `participant-${i}`);
      mkdirSync(dataDir, { recursive: true });
      const config = parseParticipantConfig({
        node: { rpcUrl: node.rpcUrl, pollIntervalMs: 50, broadcastTimeoutMs: 5000 },
        key: { keyFile: join(home, "keys", `participant-${i}.json`) },
        backend: { url: participantBackend.url, batchSize: 200, int4Url: int4Backend.url },
        dataDir,
        generation: { maxNonces: 300, batchSize: 100 },
      });
      participants.set(
        strategy,
        await startParticipant(config, { cheat: strategy === "honest" ? undefined : strategy, log: silentEventLog }),
      );
    }
    for (let v = 0; v < 4; v++) {
      const backend = await startReferenceBackend({ profile: "h100-fp8", machineId: `validator-${v}` });
      backends.push(backend);
      const config = parseSidecarConfig({
        node: { rpcUrl: node.rpcUrl, pollIntervalMs: 100 },
        key: { keyFile: join(home, "keys", `validator-${v}.json`) },
        backend: { urls: [backend.url], retry: { baseDelayMs: 100, maxDelayMs: 300 } },
        proofApi: { retry: { baseDelayMs: 200, maxDelayMs: 500 } },
        journal: { path: join(temp.dir, `sidecar-${v}.db`) },
        metrics: { port: 0 },
        log: { level: "warn", progress: "off" },
        votes: { batchSize: 4 },
      });
      sidecars.push(await startSidecar(config, { logStream: devNull() }));
    }
    const registered = await until("registrations", async () => {
      const list = await query.pocval.participants();
      return list.length === STRATEGIES.length ? list : undefined;
    });
    const last =
      registered
        .map((p) => p.registeredHeight)
        .sort((a, b) => Number(a - b))
        .at(-1) ?? 0n;
    let stageHeight = last - (last % timing.stageLength) + timing.stageLength;
    for (let tries = 0; ; tries++) {
      info = await until(
        "the sampling block",
        async () => {
          const s = (await query.pocval.stage(stageHeight)).stage;
          return s.samplingBlockHash !== "" ? s : undefined;
        },
        Number(timing.stageLength) * BLOCK_MS * 6,
      );
      const committed = await query.pocval.commitments(stageHeight);
      if (committed.length === STRATEGIES.length || tries >= 2) break;
      stageHeight += timing.stageLength;
    }
    await until(
      "the validation window's end",
      async () => ((await query.pocval.stage(stageHeight)).stage.finalized ? true : undefined),
      Number(timing.stageLength) * BLOCK_MS * 6,
    );
    snapshot = await query.pocval.stakeSnapshot(stageHeight);
    votes = await query.pocval.votes(stageHeight);
  }, 240_000);

  afterAll(async () => {
    for (const s of sidecars) await s.stop();
    for (const p of participants.values()) await p.stop();
    for (const b of backends) await b.stop();
    await node?.stop();
    temp.remove();
  });

  const holdersOf = (participant: string) =>
    slotHolders({
      stageHeight: info.stageHeight,
      samplingBlockHash: info.samplingBlockHash,
      participantAddress: participant,
      stakes: snapshot.validators.map((v) => ({ validator: v.address, stake: BigInt(v.stake) })),
      slots: SLOTS,
    });

  it("every slot holder votes on its participants and nobody else votes", () => {
    expect(keys.length).toBeGreaterThan(0);
    for (const strategy of STRATEGIES) {
      const address = participants.get(strategy)!.address;
      const holders = holdersOf(address)
        .map((h) => h.validator)
        .sort();
      const voters = votes
        .filter((r) => r.vote?.participant === address)
        .map((r) => r.validator)
        .sort();
      expect(voters).toEqual(holders);
    }
  });

  it("tallies by slots: the int4 participant convicted on every slot, the honest one cleared", async () => {
    const int4 = await query.pocval.tally(info.stageHeight, participants.get("int4")!.address);
    expect(int4).toMatchObject({ slots: SLOTS, cheaterSlots: SLOTS, abstainSlots: 0, convicted: true });
    const honest = await query.pocval.tally(info.stageHeight, participants.get("honest")!.address);
    expect(honest).toMatchObject({ slots: SLOTS, honestSlots: SLOTS, convicted: false });
    for (const r of votes.filter((v) => v.vote?.participant === participants.get("int4")!.address)) {
      expect(r.vote?.verdict).toBe(Verdict.VERDICT_CHEATER);
    }
  });
});
