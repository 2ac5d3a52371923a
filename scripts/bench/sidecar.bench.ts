// Validation throughput against backend capacity: 100 participants of 200 samples each, checked
// through the sidecar's pipeline (signed proof fetches, Merkle verification, the recompute queue,
// the binomial decision) against a reference backend capped at a known nonces-per-second rate.
// The backend and the proof servers run in a child process, so process.cpuUsage() here is the
// sidecar's own CPU time. The chain is left out: this measures the check pipeline.
import { spawn } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createBackendClient, DEFAULT_POC_PARAMS } from "../../src/backend/index.js";
import { fromBase64 } from "../../src/core/index.js";
import { Verdict } from "../../src/gen/pocval/v1/types.js";
import { semaphore } from "../../src/net/retry.js";
import {
  type CheckOutcome,
  checkParticipant,
  createProvePool,
  createRecomputeQueue,
  keyFromMnemonic,
  type StageFacts,
} from "../../src/sidecar/index.js";
import { fmt } from "./util.js";

const PARTICIPANTS = 100;
const SAMPLE = 200;
const LEAVES = 1000;
/** The backend cap; POCVAL_BENCH_SIDECAR_RATE overrides it (a loaded machine may not reach 20,000). */
// POCVAL_BENCH_SIDECAR_CONCURRENCY sets the recompute requests in flight (backend.concurrency, 8),
// POCVAL_BENCH_SIDECAR_PROOF_CONCURRENCY the participants fetched at once (proofApi.concurrency, 16),
// POCVAL_BENCH_SIDECAR_WORKERS the proof worker threads (proofApi.workers, 0; their CPU counts too).
const RATE = Number(process.env.POCVAL_BENCH_SIDECAR_RATE ?? 20_000);
const MNEMONIC = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

interface Fixture {
  backendUrl: string;
  generationSeed: string;
  participants: { address: string; pocPublicKey: string; proofApiUrl: string; count: number; rootHash: string }[];
}

export async function bench(): Promise<void> {
  const fixturePath = fileURLToPath(new URL("./sidecar-fixture.ts", import.meta.url));
  const runTs = fileURLToPath(new URL("../../node_modules/.bin/tsx", import.meta.url));
  const children = ["backend", "proofs"].map((role) =>
    spawn(runTs, [fixturePath, role, String(PARTICIPANTS), String(LEAVES), String(RATE), "7"], {
      stdio: ["pipe", "pipe", "inherit"],
    }),
  );
  try {
    const [backendInfo, proofsInfo] = await Promise.all(
      children.map(
        (child) =>
          new Promise<string>((resolve, reject) => {
            createInterface({ input: child.stdout! }).once("line", resolve);
            child.once("exit", (code) => reject(new Error(`fixture exited with ${code}`)));
          }),
      ),
    );
    const fixture = { ...JSON.parse(backendInfo!), ...JSON.parse(proofsInfo!) } as Fixture;
    const key = await keyFromMnemonic(MNEMONIC);
    const stage: StageFacts = {
      stageHeight: 100n,
      samplingBlockHash: "5a".repeat(32),
      generationSeed: fixture.generationSeed,
      params: {
        ...DEFAULT_POC_PARAMS,
        distThreshold: 0.173663,
        fpRate: 0.02,
        alpha: 0.05,
        sampleSize: SAMPLE,
        proofRequestBudget: 3,
        proofResponseMs: 30_000,
      },
    };
    const newQueue = (batchSize = 500) =>
      createRecomputeQueue({
        backends: [createBackendClient({ url: fixture.backendUrl, retries: 0, timeoutMs: 120_000 })],
        concurrency: Number(process.env.POCVAL_BENCH_SIDECAR_CONCURRENCY ?? 8),
        batchSize,
        retry: { attempts: 10, baseDelayMs: 50, maxDelayMs: 500 },
      });

    // Warm-up: JIT, connections, the backend's first requests.
    const warm = newQueue();
    await Promise.all(
      fixture.participants.slice(0, 4).map((p) =>
        warm.recompute({
          generationSeed: fixture.generationSeed,
          stageHeight: 100,
          publicKey: p.pocPublicKey,
          nonces: [0, 1, 2, 3],
          params: { ...DEFAULT_POC_PARAMS },
        }),
      ),
    );
    warm.close();

    // Baseline: the backend driven directly with the same requests (its achievable rate here), in
    // requests of a whole sample and in requests of 20 nonces (the curtailed checks' chunks).
    const directRun = async (batchSize: number) => {
      const direct = newQueue(batchSize);
      const directStart = performance.now();
      await Promise.all(
        fixture.participants.map((p, i) =>
          direct.recompute({
            generationSeed: fixture.generationSeed,
            stageHeight: 100,
            publicKey: p.pocPublicKey,
            nonces: Array.from({ length: SAMPLE }, (_, j) => (i * 7 + j * 3) % LEAVES),
            params: { ...DEFAULT_POC_PARAMS },
          }),
        ),
      );
      direct.close();
      return (performance.now() - directStart) / 1000;
    };
    const directSeconds = await directRun(500);
    const direct20Seconds = await directRun(20);

    // The sidecar's pipeline: the full test (all n in one job per participant), then curtailed checks
    // (check.chunkSize 20: one request of 20 nonces per participant at a time), in the same run.
    const pipeline = async (check: { chunkSize: number; curtail: boolean }) => {
      const recompute = newQueue();
      const workers = Number(process.env.POCVAL_BENCH_SIDECAR_WORKERS ?? 0);
      const pool = workers > 0 ? createProvePool(workers) : undefined;
      const gate = semaphore(Number(process.env.POCVAL_BENCH_SIDECAR_PROOF_CONCURRENCY ?? 16));
      let recomputed = 0;
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      const outcomes: CheckOutcome[] = await Promise.all(
        fixture.participants.map((p) =>
          checkParticipant(
            {
              validatorAddress: key.address,
              privateKey: key.privateKey,
              proofApi: { batchSize: 500, maxResponseBytes: 16 << 20, retry: { baseDelayMs: 100, maxDelayMs: 500 } },
              recompute,
              check,
              onRecomputed: (_t, leaves) => {
                recomputed += leaves;
              },
              proofGate: (fn) => gate.run(fn),
              prove: pool?.prove,
            },
            stage,
            {
              address: p.address,
              pocPublicKey: p.pocPublicKey,
              proofApiUrl: p.proofApiUrl,
              count: BigInt(p.count),
              rootHash: fromBase64(p.rootHash, "root_hash"),
            },
          ),
        ),
      );
      const seconds = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      recompute.close();
      await pool?.close();
      return { outcomes, seconds, cpu, recomputed };
    };
    const full = await pipeline({ chunkSize: 20, curtail: false });
    const curtailed = await pipeline({ chunkSize: 20, curtail: true });

    const nonces = PARTICIPANTS * SAMPLE;
    console.log(
      `${PARTICIPANTS} participants x ${SAMPLE} samples = ${nonces} nonces, backend capped at ${RATE} nonces/s`,
    );
    console.log(
      `(${cpus().length} CPUs, load average ${loadavg()
        .map((l) => fmt(l, 1))
        .join(" ")}: the backend shares them)`,
    );
    console.log(
      `backend alone (baseline): ${fmt(nonces / directSeconds, 0)} nonces/s = ${fmt(nonces / directSeconds / RATE, 3)} of capacity`,
    );
    console.log(
      `backend alone, requests of 20: ${fmt(nonces / direct20Seconds, 0)} nonces/s = ${fmt(nonces / direct20Seconds / RATE, 3)} of capacity`,
    );
    for (const [name, r] of [
      ["sidecar, full test:      ", full],
      ["sidecar, curtailed (20): ", curtailed],
    ] as const) {
      const votes = r.outcomes.filter((o) => o.kind === "vote");
      const honest = votes.filter((o) => o.kind === "vote" && o.vote.verdict === Verdict.VERDICT_HONEST).length;
      const achieved = r.recomputed / r.seconds;
      console.log(
        `${name}${fmt(achieved, 0)} nonces/s = ${fmt(achieved / RATE, 3)} of capacity (${fmt(achieved / (nonces / directSeconds), 3)} of the baseline); ` +
          `${r.recomputed} recomputed in ${fmt(r.seconds, 2)} s; votes ${votes.length} (${honest} honest), abstentions ${r.outcomes.length - votes.length}; ` +
          `CPU ${fmt((r.cpu.user + r.cpu.system) / Math.max(1, r.recomputed), 1)} us per recomputed nonce`,
      );
    }
  } finally {
    for (const child of children) {
      child.stdin?.end();
      await new Promise((resolve) => {
        if (child.exitCode !== null) resolve(undefined);
        else child.once("exit", resolve);
      });
    }
  }
}
