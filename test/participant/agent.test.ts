// The agent against a real localnet node and a real reference backend over HTTP.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { QueryClient } from "@cosmjs/stargate";
import { Comet38Client, HttpClient } from "@cosmjs/tendermint-rpc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { referenceVector, startReferenceBackend } from "../../src/backend/index.js";
import { type PocvalExtension, setupPocvalExtension } from "../../src/client/index.js";
import { deriveKey } from "../../src/client/keys.js";
import {
  bytesEqual,
  encodeVector,
  fromBase64,
  leafHash,
  signedProofAnswerSchema,
  signProofRequest,
  stateResponseSchema,
  toBase64,
  verifyInclusion,
} from "../../src/core/index.js";
import { initHome, type KeyFile, type RunningNode, startNode } from "../../src/node/index.js";
import {
  openArtifactStore,
  parseParticipantConfig,
  type RunningParticipant,
  stageDir,
  startParticipant,
} from "../../src/participant/index.js";
import { until } from "../sidecar/integration-helpers.js";
import { tempDir } from "./helpers.js";

// Stages start at 2, 32, 62, ...: a 16-block commit window, the sampling block, 6 validation blocks.
const timing = { stageLength: 30n, stageOffset: 2n, commitWindow: 16n, validationWindow: 6n };
const BLOCK_MS = 150;

interface LogLine {
  event: string;
  fields: Record<string, unknown>;
}

/** The raw key of a key file, for signing proof requests (src/client/keys.ts derives it). */
const privateKeyOf = async (key: KeyFile): Promise<Uint8Array> => deriveKey(key.mnemonic).privateKey;

describe("participant agent on a localnet", () => {
  const temp = tempDir();
  let node: RunningNode;
  let backend: Awaited<ReturnType<typeof startReferenceBackend>>;
  let keys: KeyFile[];
  let query: QueryClient & PocvalExtension;
  const running: RunningParticipant[] = [];

  beforeAll(async () => {
    const home = join(temp.dir, "home");
    ({ keys } = await initHome({ home, validators: 2, participants: 3, timing }));
    node = await startNode({ home, rpc: "127.0.0.1:0", blockTimeMs: BLOCK_MS });
    // About 2,000 nonces a second: 3,000 nonces take longer than one block, so commits grow.
    backend = await startReferenceBackend({ profile: "h100-fp8", noncesPerSecond: 2000 });
    query = QueryClient.withExtensions(Comet38Client.create(new HttpClient(node.rpcUrl)), setupPocvalExtension);
  });

  afterAll(async () => {
    for (const p of running) await p.stop();
    await backend?.stop();
    await node?.stop();
    temp.remove();
  });

  const configFor = (name: string, dataDir: string, backendUrl = backend.url) =>
    parseParticipantConfig({
      node: { rpcUrl: node.rpcUrl, pollIntervalMs: 40, broadcastTimeoutMs: 5000 },
      key: { keyFile: join(temp.dir, "home", "keys", `${name}.json`) },
      backend: { url: backendUrl, batchSize: 200, retries: backendUrl === backend.url ? 5 : 0 },
      dataDir,
      generation: { maxNonces: 3000, batchSize: 200 },
    });

  const start = async (name: string, dataDir: string, logs: LogLine[], cheat?: string, backendUrl?: string) => {
    mkdirSync(dataDir, { recursive: true });
    const p = await startParticipant(configFor(name, dataDir, backendUrl), {
      cheat,
      log: (event, fields = {}) => logs.push({ event, fields }),
    });
    running.push(p);
    return p;
  };

  it("registers, commits increasing counts in the window, and its last commitment is its store's snapshot", async () => {
    const logs: LogLine[] = [];
    const dataDir = join(temp.dir, "p0");
    const p = await start("participant-0", dataDir, logs);
    const me = await until("registration", async () =>
      (await query.pocval.participants()).find((x) => x.address === p.address),
    );
    expect(me.pocPublicKey).toBe(p.pocPublicKey);
    expect(me.proofApiUrl).toBe(p.proofApiUrl);

    // The first stage that began after registration has its whole window ahead of the agent.
    const registeredAt = Number(logs.find((l) => l.event === "registered")?.fields.height ?? 0);
    const done = await until(
      "a whole stage",
      () => logs.find((l) => l.event === "stage_done" && Number(l.fields.stage_height) > registeredAt),
      40_000,
    );
    const stageHeight = Number(done.fields.stage_height);
    const commits = logs.filter((l) => l.event === "committed" && l.fields.stage_height === stageHeight);
    if (process.env.POCVAL_TEST_LOGS) for (const l of logs) console.log(l.event, JSON.stringify(l.fields));
    expect(commits.length).toBeGreaterThanOrEqual(2);
    const counts = commits.map((c) => Number(c.fields.count));
    for (let i = 1; i < counts.length; i++) expect(counts[i]).toBeGreaterThan(counts[i - 1]!);
    const heights = commits.map((c) => Number(c.fields.height));
    expect(new Set(heights).size).toBe(heights.length);
    const info = (await query.pocval.stage(BigInt(stageHeight))).stage;
    for (const h of heights) {
      expect(h).toBeGreaterThanOrEqual(stageHeight);
      expect(h).toBeLessThanOrEqual(Number(info.commitEndHeight));
    }

    const onChain = (await query.pocval.commitments(BigInt(stageHeight))).find((c) => c.participant === p.address);
    expect(onChain).toBeDefined();
    expect(Number(onChain!.count)).toBe(counts.at(-1));
    const stateRes = await fetch(`${p.proofApiUrl}/pocval/v1/state?stage_height=${stageHeight}`);
    const state = stateResponseSchema.parse(await stateRes.json());
    expect(state.count).toBe(Number(onChain!.count));
    expect(state.root_hash).toBe(toBase64(onChain!.rootHash));

    // A bonded validator fetches leaves: they verify against the on-chain root, vectors are the backend's.
    const validator = keys.find((k) => k.name === "validator-0")!;
    const indices = [0, 1, Number(onChain!.count) - 1];
    const body = signProofRequest(
      {
        stage_height: stageHeight,
        count: state.count,
        root_hash: state.root_hash,
        leaf_indices: indices,
        validator_address: validator.address,
        participant_address: p.address,
        timestamp_ns: (BigInt(Date.now()) * 1_000_000n).toString(),
      },
      await privateKeyOf(validator),
    );
    const res = await fetch(`${p.proofApiUrl}/pocval/v1/proofs`, { method: "POST", body: JSON.stringify(body) });
    expect(res.status).toBe(200);
    const { proofs } = signedProofAnswerSchema.parse(await res.json());
    for (const leaf of proofs) {
      const vector = fromBase64(leaf.vector_b64, "vector_b64");
      const path = leaf.audit_path.map((a) => fromBase64(a, "audit_path"));
      expect(verifyInclusion(leafHash(leaf.nonce, vector), leaf.leaf_index, state.count, path, onChain!.rootHash)).toBe(
        true,
      );
      const expected = referenceVector({
        blockHash: info.generationSeed,
        publicKey: p.pocPublicKey,
        nonce: leaf.nonce,
        model: "Qwen/Qwen3-235B-A22B-Instruct-2507-FP8",
        seqLen: 1024,
        kDim: 12,
        profile: "h100-fp8",
        machineId: "0",
      });
      expect(bytesEqual(vector, encodeVector(expected))).toBe(true);
    }

    // An account outside the stake snapshot is refused.
    const outsider = keys.find((k) => k.name === "participant-1")!;
    const refused = signProofRequest({ ...body, validator_address: outsider.address }, await privateKeyOf(outsider));
    const res403 = await fetch(`${p.proofApiUrl}/pocval/v1/proofs`, { method: "POST", body: JSON.stringify(refused) });
    expect(res403.status).toBe(403);

    // The store on disk, reopened after the agent stops, holds exactly what the chain holds.
    await p.stop();
    running.splice(running.indexOf(p), 1);
    const store = openArtifactStore({ dir: stageDir(dataDir, stageHeight), stageHeight, kDim: 12 });
    try {
      expect(store.size).toBeGreaterThanOrEqual(Number(onChain!.count));
      expect(bytesEqual(store.root(Number(onChain!.count)), onChain!.rootHash)).toBe(true);
      expect(store.latestConfirmed()?.count).toBe(Number(onChain!.count));
    } finally {
      store.close();
    }
  }, 60_000);

  it("resumes its store after a restart mid-stage, serves its earlier snapshots and commits on", async () => {
    const dataDir = join(temp.dir, "p1");
    let logs: LogLine[] = [];
    let p = await start("participant-1", dataDir, logs);
    const windows = new Map<number, bigint>();
    const commitEnd = async (stage: number) => {
      if (!windows.has(stage)) windows.set(stage, (await query.pocval.stage(BigInt(stage))).stage.commitEndHeight);
      return windows.get(stage)!;
    };
    let stageHeight = 0;
    let before = { count: 0, root: "" };
    let leavesAtStop = 0;
    let resumed: LogLine | undefined;
    // Restart right after a commit early in a window; on a loaded machine the window may close
    // before the agent is back, so try again in the next stage.
    for (let attempt = 0; attempt < 3 && !resumed; attempt++) {
      const current = logs;
      const first = await until(
        "a commit early in a window",
        async () => {
          for (const l of current.filter((x) => x.event === "committed")) {
            const end = await commitEnd(Number(l.fields.stage_height));
            if (BigInt(Number(l.fields.height)) <= end - 10n) return l;
          }
          return undefined;
        },
        40_000,
      );
      stageHeight = Number(first.fields.stage_height);
      before = { count: Number(first.fields.count), root: String(first.fields.root_hash) };
      await p.stop();
      running.splice(running.indexOf(p), 1);
      leavesAtStop = p.progress().leaves;
      expect(leavesAtStop).toBeGreaterThanOrEqual(before.count);
      logs = [];
      p = await start("participant-1", dataDir, logs);
      const started = await until("a stage start", () => logs.find((l) => l.event === "stage_started"), 40_000);
      if (started.fields.stage_height === stageHeight) resumed = started;
    }
    expect(resumed).toBeDefined();
    expect(resumed!.fields.resumed_leaves).toBe(leavesAtStop);
    expect(resumed!.fields.committed_count).toBeGreaterThanOrEqual(before.count);

    // The snapshot committed before the restart is still held and its proofs verify.
    const validator = keys.find((k) => k.name === "validator-1")!;
    const validatorKey = await privateKeyOf(validator);
    const ask = (count: number, rootHash: string, url = p.proofApiUrl) =>
      fetch(`${url}/pocval/v1/proofs`, {
        method: "POST",
        body: JSON.stringify(
          signProofRequest(
            {
              stage_height: stageHeight,
              count,
              root_hash: rootHash,
              leaf_indices: [0, count - 1],
              validator_address: validator.address,
              participant_address: p.address,
              timestamp_ns: (BigInt(Date.now()) * 1_000_000n).toString(),
            },
            validatorKey,
          ),
        ),
      });
    const earlier = await ask(before.count, before.root);
    expect(earlier.status).toBe(200);
    const { proofs } = signedProofAnswerSchema.parse(await earlier.json());
    for (const leaf of proofs) {
      const vector = fromBase64(leaf.vector_b64, "vector_b64");
      const path = leaf.audit_path.map((a) => fromBase64(a, "audit_path"));
      const root = fromBase64(before.root, "root");
      expect(verifyInclusion(leafHash(leaf.nonce, vector), leaf.leaf_index, before.count, path, root)).toBe(true);
    }

    await until("the stage to finish", () => logs.find((l) => l.event === "stage_done"), 40_000);
    const onChain = (await query.pocval.commitments(BigInt(stageHeight))).find((c) => c.participant === p.address)!;
    expect(Number(onChain.count)).toBeGreaterThan(before.count);
    const state = stateResponseSchema.parse(
      await (await fetch(`${p.proofApiUrl}/pocval/v1/state?stage_height=${stageHeight}`)).json(),
    );
    expect(state).toEqual({
      stage_height: stageHeight,
      count: Number(onChain.count),
      root_hash: toBase64(onChain.rootHash),
    });
    expect((await ask(state.count, state.root_hash)).status).toBe(200);

    // The same store under withhold: after the commit window, proofs are refused with 503.
    await p.stop();
    running.splice(running.indexOf(p), 1);
    const withholding = await start("participant-1", dataDir, [], "withhold");
    expect((await ask(state.count, state.root_hash, withholding.proofApiUrl)).status).toBe(503);
  }, 120_000);

  it("retries a backend that is down and commits once it is back", async () => {
    const flaky = await startReferenceBackend({ profile: "b200-fp8", faults: { down: true } });
    try {
      const logs: LogLine[] = [];
      const p = await start("participant-2", join(temp.dir, "p2"), logs, undefined, flaky.url);
      const retry = await until("a generation retry", () => logs.find((l) => l.event === "generation_retry"), 40_000);
      expect(String(retry.fields.error)).toMatch(/Backend/);
      expect(logs.some((l) => l.event === "committed")).toBe(false);
      flaky.setFaults({});
      const committed = await until("a commit", () => logs.find((l) => l.event === "committed"), 40_000);
      expect(Number(committed.fields.count)).toBeGreaterThan(0);
      await p.stop();
      running.splice(running.indexOf(p), 1);
    } finally {
      await flaky.stop();
    }
  }, 90_000);
});
