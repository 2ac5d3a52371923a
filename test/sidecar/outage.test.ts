// The chain unreachable in the middle of the validation window: the node stops right after the
// sampling block and comes back on the same port. The sidecar's own fault (no chain) must cost no
// vote and cause no wrong one: after the outage every committed participant gets exactly one vote.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { QueryClient } from "@cosmjs/stargate";
import { Comet38Client, HttpClient } from "@cosmjs/tendermint-rpc";
import { afterAll, describe, expect, it } from "vitest";
import { type ReferenceBackend, startReferenceBackend } from "../../src/backend/index.js";
import { type PocvalExtension, setupPocvalExtension } from "../../src/client/index.js";
import { Verdict } from "../../src/gen/pocval/v1/types.js";
import { initHome, type RunningNode, startNode } from "../../src/node/index.js";
import {
  parseParticipantConfig,
  type RunningParticipant,
  silentEventLog,
  startParticipant,
} from "../../src/participant/index.js";
import { parseSidecarConfig, type RunningSidecar, startSidecar } from "../../src/sidecar/index.js";
import { collectLines, tempDir, until } from "./integration-helpers.js";

// Stage at 30: commits 30..37, sampling block 38, votes 39..188 (30 s at 200 ms a block; the test
// waits for the votes, not for the window's end).
const timing = { stageLength: 200n, stageOffset: 30n, commitWindow: 8n, validationWindow: 150n };
const STAGE = 30n;
const BLOCK_MS = 200;

describe("chain outage during the validation window", () => {
  const temp = tempDir();
  let node: RunningNode | undefined;
  const backends: ReferenceBackend[] = [];
  const participants: RunningParticipant[] = [];
  let sidecar: RunningSidecar | undefined;
  afterAll(async () => {
    await sidecar?.stop();
    for (const p of participants) await p.stop();
    for (const b of backends) await b.stop();
    await node?.stop();
    temp.remove();
  });

  it("votes on every committed participant once the node is back", async () => {
    const lines: string[] = [];
    const home = join(temp.dir, "home");
    const { keys } = await initHome({ home, validators: 1, participants: 3, timing, params: { alpha: "0.0001" } });
    node = await startNode({ home, rpc: "127.0.0.1:0", blockTimeMs: BLOCK_MS });
    const rpcUrl = node.rpcUrl;
    const query: QueryClient & PocvalExtension = QueryClient.withExtensions(
      Comet38Client.create(new HttpClient(rpcUrl)),
      setupPocvalExtension,
    );
    // Not b200-fp8: its pair rate with h100-fp8 is ~3.5% (profiles.ts), which would flag an honest
    // participant with a real probability at this alpha; a100-fp8 pairs at the nominal ~2%.
    const participantBackend = await startReferenceBackend({ profile: "a100-fp8" });
    // A slow validator backend: checks are still running when the node goes away.
    const validatorBackend = await startReferenceBackend({ profile: "h100-fp8", noncesPerSecond: 300 });
    backends.push(participantBackend, validatorBackend);
    for (let i = 0; i < 3; i++) {
      const dataDir = join(temp.dir, `participant-${i}`);
      mkdirSync(dataDir, { recursive: true });
      participants.push(
        await startParticipant(
          parseParticipantConfig({
            node: { rpcUrl, pollIntervalMs: 50, broadcastTimeoutMs: 5000 },
            key: { keyFile: join(home, "keys", `participant-${i}.json`) },
            backend: { url: participantBackend.url, batchSize: 200 },
            dataDir,
            generation: { maxNonces: 400, batchSize: 200 },
          }),
          { log: silentEventLog },
        ),
      );
    }
    sidecar = await startSidecar(
      parseSidecarConfig({
        node: { rpcUrl, pollIntervalMs: 100, wsStallMs: 1000, requestTimeoutMs: 2000 },
        key: { keyFile: join(home, "keys", "validator-0.json") },
        backend: { urls: [validatorBackend.url] },
        journal: { path: join(temp.dir, "sidecar.db") },
        metrics: { port: 0 },
        votes: { batchSize: 1, retry: { attempts: 5, baseDelayMs: 100, maxDelayMs: 500 } },
        log: { level: "debug", progress: "off" },
      }),
      { logStream: collectLines(lines) },
    );
    await until(
      "the sampling block",
      async () => ((await query.pocval.stage(STAGE)).stage.samplingBlockHash !== "" ? true : undefined),
      40_000,
    );
    const committed = (await query.pocval.commitments(STAGE)).map((c) => c.participant);
    expect(committed.length).toBeGreaterThanOrEqual(2);

    // The node goes away for about 3 seconds while the sidecar checks, then returns on its port.
    await new Promise((r) => setTimeout(r, 500));
    const port = new URL(rpcUrl).port;
    await node.stop();
    await new Promise((r) => setTimeout(r, 3000));
    node = await startNode({ home, rpc: `127.0.0.1:${port}`, blockTimeMs: BLOCK_MS });

    const validator = keys.find((k) => k.name === "validator-0")!.address;
    const votes = await until(
      "a vote on every committed participant",
      async () => {
        const v = await query.pocval.votes(STAGE, { validator });
        return v.length >= committed.length ? v : undefined;
      },
      30_000,
    );
    expect(votes.map((v) => v.vote?.participant).sort()).toEqual([...committed].sort());
    expect(votes.every((v) => v.vote?.verdict === Verdict.VERDICT_HONEST)).toBe(true);
    const health = (await (await fetch(`${sidecar.metricsUrl}/healthz`)).json()) as { ok: boolean };
    expect(health.ok).toBe(true);
    // The outage was felt: the websocket dropped and chain requests failed meanwhile.
    const msgs = lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(msgs).toContain("chain websocket lost; polling");
    expect(msgs.filter((m) => m === "chain status poll failed").length).toBeGreaterThan(0);
    if (process.env.POCVAL_TEST_LOGS) for (const l of lines) process.stderr.write(`${l}\n`);
  }, 90_000);
});
