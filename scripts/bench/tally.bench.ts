import { loadavg } from "node:os";
import { toBech32 } from "@cosmjs/encoding";
import {
  type BlockContext,
  beginBlock,
  defaultParams,
  defaultTiming,
  deliverMsg,
  endBlock,
  initGenesis,
  memoryStore,
} from "../../src/chain/index.js";
import { getSnapshot, recordVote } from "../../src/chain/keeper.js";
import { sha256 } from "../../src/core/index.js";
import { MsgCommitArtifacts } from "../../src/gen/pocval/v1/tx.js";
import { Reason, Verdict, type Vote } from "../../src/gen/pocval/v1/types.js";
import { fmt, peakRssMiB, timeMs } from "./util.js";

const PARTICIPANTS = Number(process.env.TALLY_BENCH_PARTICIPANTS ?? 10_000);
const VALIDATORS = Number(process.env.TALLY_BENCH_VALIDATORS ?? 500);
const STAGE = 2n; // defaultTiming: commits at 2..11, votes at 13..24, the tally at the end of 24
const TALLY_HEIGHT = 24n;

const ctx = (height: bigint): BlockContext => ({ height, blockHash: () => undefined });
const addressOf = (name: string) => toBech32("pocval", sha256(new TextEncoder().encode(name)).slice(0, 20));
const mib = (bytes: number) => `${fmt(bytes / 2 ** 20, 0)} MiB`;
const cpuMs = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};

/** Deterministic verdicts: every tenth participant cheats, 3% of votes are wrong, 2% of validators abstain. */
function verdictOf(validator: number, participant: number): Verdict | 0 {
  const h = Math.imul(validator * 7919 + participant * 104_729 + 1, 2_654_435_761) >>> 0;
  if (h % 50 === 0) return 0;
  const cheats = participant % 10 === 0;
  return cheats === h % 100 < 97 ? Verdict.VERDICT_CHEATER : Verdict.VERDICT_HONEST;
}

/**
 * The end-of-stage tally of 10,000 participants with 500 validators' votes each (5,000,000 vote
 * records): commitments go through deliverMsg, votes through the keeper's recordVote (the write
 * path of MsgSubmitVotes without its checks), into a memoryStore. endBlock alone is timed, against
 * a bare loop summing the same stakes by verdict and applying the quorum.
 */
export async function bench(): Promise<void> {
  const validators = Array.from({ length: VALIDATORS }, (_, i) => ({
    address: addressOf(`validator-${i}`),
    stake: String(1_000_000 + i * 1_000),
  }));
  const participants = Array.from({ length: PARTICIPANTS }, (_, i) => addressOf(`participant-${i}`));
  const store = memoryStore();
  initGenesis(store, {
    params: defaultParams(),
    timing: defaultTiming(),
    authority: addressOf("authority"),
    validators,
    participants: participants.map((address) => ({
      address,
      pocPublicKey: address,
      proofApiUrl: "http://127.0.0.1:1",
      registeredHeight: 1n,
    })),
    commitments: [],
    votes: [],
    tallies: [],
    snapshots: [],
    finalizedStages: [],
  });
  beginBlock(store, ctx(STAGE));
  const rootHash = sha256(Uint8Array.of(1));
  for (const creator of participants) {
    const msg = MsgCommitArtifacts.encode({ creator, stageHeight: STAGE, count: 1000n, rootHash }).finish();
    deliverMsg(store, ctx(3n), "/pocval.v1.MsgCommitArtifacts", msg);
  }

  // Votes in the snapshot's validator order, so validator i of the snapshot is ballot byte i.
  const snapshot = getSnapshot(store, STAGE)!.validators;
  const stakes = snapshot.map((v) => BigInt(v.stake));
  const verdicts = new Uint8Array(PARTICIPANTS * VALIDATORS);
  const evidenceHash = sha256(Uint8Array.of(2));
  let stored = 0;
  const writeMs = await timeMs(() => {
    participants.forEach((participant, pi) => {
      const votes: Record<number, Vote> = {};
      for (const verdict of [Verdict.VERDICT_HONEST, Verdict.VERDICT_CHEATER]) {
        const cheater = verdict === Verdict.VERDICT_CHEATER;
        const pValue = cheater ? "1e-9" : "0.62";
        votes[verdict] = {
          participant,
          verdict,
          reason: Reason.REASON_STAT_TEST,
          checked: 200,
          mismatches: cheater ? 30 : 4,
          pValue,
          evidenceHash,
        };
      }
      snapshot.forEach((validator, vi) => {
        const verdict = verdictOf(vi, pi);
        verdicts[pi * VALIDATORS + vi] = verdict;
        if (verdict === 0) return;
        const record = {
          stageHeight: STAGE,
          validator: validator.address,
          vote: votes[verdict]!,
          height: 13n + BigInt(vi % 12),
        };
        recordVote(store, record, vi, VALIDATORS);
        stored++;
      });
    });
  });
  // The memory store sorts keys written since its last iteration on the next one: do that outside the timing.
  const indexMs = await timeMs(() => [...store.iterate(Uint8Array.of(0xff))]);

  globalThis.gc?.();
  const before = process.memoryUsage();
  let tallies = 0;
  let convicted = "";
  const cpu = process.cpuUsage();
  const tallyMs = await timeMs(() => {
    const events = endBlock(store, ctx(TALLY_HEIGHT));
    tallies = events.filter((e) => e.type === "pocval.tally").length;
    convicted = events.at(-1)?.attributes.find((a) => a.key === "convicted")?.value ?? "";
  });
  const tallyCpuMs = cpuMs(cpu);
  const after = process.memoryUsage();

  // Baseline: the bare arithmetic, the same stakes summed by verdict in a loop with the quorum applied.
  const total = stakes.reduce((sum, s) => sum + s, 0n);
  let expectedConvicted = 0;
  let honestTotal = 0n;
  const baseCpu = process.cpuUsage();
  const baselineMs = await timeMs(() => {
    for (let pi = 0; pi < PARTICIPANTS; pi++) {
      let cheater = 0n;
      let honest = 0n;
      for (let vi = 0; vi < VALIDATORS; vi++) {
        const verdict = verdicts[pi * VALIDATORS + vi];
        if (verdict === Verdict.VERDICT_CHEATER) cheater += stakes[vi]!;
        else if (verdict === Verdict.VERDICT_HONEST) honest += stakes[vi]!;
      }
      if (cheater * 2n > total) expectedConvicted++;
      honestTotal += honest;
    }
  });
  const baselineCpuMs = cpuMs(baseCpu);
  if (String(expectedConvicted) !== convicted) {
    throw new Error(`endBlock convicted ${convicted} participants, the bare loop ${expectedConvicted}`);
  }

  // A block with nothing due (height 26: no stage starts or ends) repeated, then 1,000 heights in a row.
  const quietMs = await timeMs(() => {
    for (let i = 0; i < 10_000; i++) {
      beginBlock(store, ctx(26n));
      endBlock(store, ctx(26n));
    }
  });
  let edgeEvents = 0;
  const runMs = await timeMs(() => {
    for (let h = 25n; h < 1025n; h++) edgeEvents += beginBlock(store, ctx(h)).length + endBlock(store, ctx(h)).length;
  });

  const n = (x: number) => x.toLocaleString("en-US");
  console.log(
    `load average ${loadavg()
      .map((l) => fmt(l, 1))
      .join(" ")} (figures are wall clock unless marked cpu)`,
  );
  console.log(
    `participants: ${n(PARTICIPANTS)}, validators: ${VALIDATORS}, vote records stored: ${n(stored)} ` +
      `(written in ${fmt(writeMs / 1000, 1)} s; store index ${fmt(indexMs / 1000, 1)} s)`,
  );
  console.log(
    `endBlock tally:  ${fmt(tallyMs, 0)} ms (cpu ${fmt(tallyCpuMs, 0)} ms), ${n(tallies)} tallies, ${convicted} convicted (aim < 1000 ms)`,
  );
  console.log(
    `bare stake sum:  ${fmt(baselineMs, 0)} ms (cpu ${fmt(baselineCpuMs, 0)} ms; honest stake summed ${honestTotal})`,
  );
  console.log(
    `ratio endBlock / bare loop: ${fmt(tallyMs / baselineMs, 1)}x (cpu ${fmt(tallyCpuMs / baselineCpuMs, 1)}x)`,
  );
  console.log(
    `beginBlock + endBlock with nothing due: ${fmt(quietMs / 10, 1)} us per block; ` +
      `over heights 25..1024 (${edgeEvents} snapshot/finalize events): ${fmt(runMs, 0)} us per block`,
  );
  console.log(
    `memory around endBlock: heap ${mib(before.heapUsed)} -> ${mib(after.heapUsed)}, ` +
      `rss ${mib(before.rss)} -> ${mib(after.rss)}; peak RSS ${fmt(peakRssMiB(), 0)} MiB`,
  );
}
