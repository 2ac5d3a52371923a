// The crash-restart property: `pocval sidecar start` run as a child process, killed with SIGKILL
// at several points of its work (after a decision, between a broadcast and its inclusion, after
// a landed batch), restarted each time on the same journal; in the end the chain holds exactly
// one vote of this validator per participant, and no transaction of it ever carried a vote the
// chain already had.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { QueryClient } from "@cosmjs/stargate";
import { Comet38Client, HttpClient } from "@cosmjs/tendermint-rpc";
import { afterAll, describe, expect, it } from "vitest";
import { type ReferenceBackend, startReferenceBackend } from "../../src/backend/index.js";
import { type PocvalExtension, setupPocvalExtension } from "../../src/client/index.js";
import { stageWindows } from "../../src/core/index.js";
import { initHome, type RunningNode, startNode } from "../../src/node/index.js";
import {
  parseParticipantConfig,
  type RunningParticipant,
  silentEventLog,
  startParticipant,
} from "../../src/participant/index.js";
import { openJournal } from "../../src/sidecar/index.js";
import { tempDir, until } from "./integration-helpers.js";

const PARTICIPANTS = 6;
// Stage at 40: commits 40..63, sampling block 64, votes 65..664 (120 s at 200 ms a block: the
// four starts of the child must fit in it, and at load 20-30 one start took over 20 s). The test
// waits for the votes, not for the window's end. The commit window is 24 blocks (4.8 s): at 8
// (1.6 s) five of six participants missed it at load 10 (generating and committing is CPU work).
const timing = { stageLength: 700n, stageOffset: 40n, commitWindow: 24n, validationWindow: 600n };
const BLOCK_MS = 200;
const STAGE = 40n;

interface Run {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  exited: Promise<number | null>;
}

describe("sidecar crash and restart", () => {
  const temp = tempDir();
  let node: RunningNode | undefined;
  const backends: ReferenceBackend[] = [];
  const participants: RunningParticipant[] = [];
  const runs: Run[] = [];

  afterAll(async () => {
    for (const r of runs) if (r.child.exitCode === null) r.child.kill("SIGKILL");
    for (const p of participants) await p.stop();
    for (const b of backends) await b.stop();
    await node?.stop();
    temp.remove();
  });

  function start(configFile: string): Run {
    const child = spawn(process.execPath, ["bin/pocval.js", "sidecar", "start", "--config", configFile], {
      cwd: process.cwd(),
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, POCVAL_SIDECAR_PROGRESS: "off" },
    });
    const run: Run = {
      child,
      lines: [],
      exited: new Promise((resolve) => child.once("exit", (code) => resolve(code))),
    };
    let buffer = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      const parts = buffer.split("\n");
      buffer = parts.pop() ?? "";
      for (const line of parts) {
        if (process.env.POCVAL_TEST_LOGS) process.stderr.write(`[run ${runs.length}] ${line}\n`);
        try {
          run.lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          run.lines.push({ msg: "non-json", text: line });
        }
      }
    });
    runs.push(run);
    return run;
  }

  /** Waits for a log line with this msg, then SIGKILLs the child; false if the run finished first. */
  async function killAfter(run: Run, msg: string, timeoutMs = 60_000): Promise<boolean> {
    const seen = await until(
      `"${msg}"`,
      () => (run.lines.some((l) => l.msg === msg) ? true : run.child.exitCode !== null ? false : undefined),
      timeoutMs,
    ).catch(() => false);
    run.child.kill("SIGKILL");
    await run.exited;
    return seen;
  }

  it("submits every decided vote exactly once across SIGKILLs", async () => {
    const home = join(temp.dir, "home");
    const { keys } = await initHome({
      home,
      validators: 1,
      participants: PARTICIPANTS,
      timing,
      params: { alpha: "0.0001" },
    });
    node = await startNode({ home, rpc: "127.0.0.1:0", blockTimeMs: BLOCK_MS });
    const rpcUrl = node.rpcUrl;
    const query: QueryClient & PocvalExtension = QueryClient.withExtensions(
      Comet38Client.create(new HttpClient(node.rpcUrl)),
      setupPocvalExtension,
    );
    // Not b200-fp8: its pair rate with h100-fp8 is ~3.5% (profiles.ts), which would flag an honest
    // participant with a real probability at this alpha; a100-fp8 pairs at the nominal ~2%.
    const participantBackend = await startReferenceBackend({ profile: "a100-fp8" });
    // A slow validator backend spreads the decisions over seconds, so the kills land mid-work.
    const validatorBackend = await startReferenceBackend({ profile: "h100-fp8", noncesPerSecond: 500 });
    backends.push(participantBackend, validatorBackend);
    // All at once: one after the other, their start-up on a loaded machine ate into the blocks before stage 40.
    const starting = Array.from({ length: PARTICIPANTS }, (_, i) => {
      const dataDir = join(temp.dir, `participant-${i}`);
      mkdirSync(dataDir, { recursive: true });
      return startParticipant(
        parseParticipantConfig({
          node: { rpcUrl, pollIntervalMs: 50, broadcastTimeoutMs: 5000 },
          key: { keyFile: join(home, "keys", `participant-${i}.json`) },
          backend: { url: participantBackend.url, batchSize: 200 },
          dataDir,
          generation: { maxNonces: 400, batchSize: 200 },
        }),
        { log: silentEventLog },
      );
    });
    participants.push(...(await Promise.all(starting)));
    const configFile = join(temp.dir, "sidecar.yaml");
    writeFileSync(
      configFile,
      JSON.stringify({
        node: { rpcUrl: node.rpcUrl, pollIntervalMs: 100 },
        key: { keyFile: join(home, "keys", "validator-0.json") },
        backend: { urls: [validatorBackend.url], concurrency: 1 },
        journal: { path: join(temp.dir, "sidecar.db") },
        metrics: { port: 0 },
        votes: { batchSize: 1, inclusionTimeoutMs: 5000 },
        log: { level: process.env.POCVAL_TEST_LOGS ? "debug" : "info" },
      }),
    );
    await until(
      "the sampling block",
      async () => {
        const s = (await query.pocval.stage(STAGE)).stage;
        return s.samplingBlockHash !== "" ? s : undefined;
      },
      40_000,
    );
    // Participants that registered too late for this stage (a loaded machine) simply do not count.
    const committed = (await query.pocval.commitments(STAGE)).length;
    expect(committed).toBeGreaterThanOrEqual(2);

    const kills: boolean[] = [];
    kills.push(await killAfter(start(configFile), "decided"));
    kills.push(await killAfter(start(configFile), "submitting votes"));
    kills.push(await killAfter(start(configFile), "votes on chain"));
    const last = start(configFile);
    const validator = keys.find((k) => k.name === "validator-0")!.address;
    // Bounded by the chain, not the wall clock: the votes count until the validation window closes.
    const windowEnd = stageWindows(timing, STAGE).validationEnd;
    await until(
      "all votes on chain",
      async () => {
        const v = await query.pocval.votes(STAGE, { validator });
        if (v.length >= committed) return v;
        if (node!.height() > windowEnd) throw new Error(`window closed with ${v.length} of ${committed} votes`);
        return undefined;
      },
      Number(timing.validationWindow) * BLOCK_MS * 2,
    );
    // A few more blocks: a stray second transaction would have time to land or fail.
    const height = node.height();
    await until("three more blocks", () => (node!.height() >= height + 3n ? true : undefined));
    // The votes may all have landed before the last run even started: SIGTERM it once it says it
    // runs (the command listens for signals before it starts anything, so none is lost after that).
    await until("the last run to start", () =>
      last.lines.some((l) => l.msg === "sidecar started") ? true : undefined,
    );
    last.child.kill("SIGTERM");
    expect(await last.exited).toBe(0);

    expect(kills).toEqual([true, true, true]);
    const after = await query.pocval.votes(STAGE, { validator });
    expect(after.length).toBe(committed);
    expect(new Set(after.map((v) => v.vote?.participant)).size).toBe(committed);
    // No run ever had a transaction refused or failed (a duplicate vote would be refused).
    const all = runs.flatMap((r) => r.lines);
    expect(all.filter((l) => l.msg === "vote transaction refused" || l.msg === "vote transaction failed")).toEqual([]);
    const journal = openJournal(join(temp.dir, "sidecar.db"));
    try {
      expect(journal.counts()).toEqual({ pending: 0, in_flight: 0, submitted: committed, expired: 0 });
      // The journal's decisions are the votes on chain, byte for byte.
      for (const record of after) {
        expect(journal.decision(STAGE, record.vote!.participant)?.vote).toEqual(record.vote);
      }
    } finally {
      journal.close();
    }
    // The window's 600 blocks are 120 s at 200 ms a block; blocks come later on a loaded machine.
  }, 300_000);
});
