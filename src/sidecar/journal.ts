// The sidecar's journal on disk (SQLite, WAL): every decision is written before it is
// submitted, every submission records its transaction hash before the broadcast, so a restart
// after `kill -9` knows what was decided, what may be on chain, and what is still to send.
import Database from "better-sqlite3";
import { Vote } from "../gen/pocval/v1/types.js";

/** A decision's place on the way to the chain. */
export type DecisionStatus = "pending" | "in_flight" | "submitted" | "expired";

export interface DecisionRow {
  stageHeight: bigint;
  participant: string;
  vote: Vote;
  status: DecisionStatus;
  batchId: number | null;
}

export interface BatchRow {
  id: number;
  stageHeight: bigint;
  txHash: string;
  participants: string[];
}

export interface Journal {
  readonly path: string;
  /** The decision for (stage, participant), if any. */
  decision(stageHeight: bigint, participant: string): DecisionRow | undefined;
  /**
   * Records a decision, with the evidence behind a fault vote (JSON, docs/protocol.md "Signed
   * proof answers") in the same transaction; a second decision for the same (stage, participant)
   * is ignored (returns false).
   */
  recordDecision(stageHeight: bigint, vote: Vote, evidence?: string): boolean;
  /** The evidence kept behind the decision for (stage, participant), if any. */
  evidence(stageHeight: bigint, participant: string): string | undefined;
  /** Decisions of a stage that no transaction carries yet, oldest first. */
  pending(stageHeight: bigint): DecisionRow[];
  /** Stages with decisions not yet submitted (pending or in flight). */
  openStages(): bigint[];
  /** Batches broadcast (or about to be) whose fate is not yet known. */
  inFlightBatches(): BatchRow[];
  /** Before a broadcast: the batch and its tx hash, and its decisions marked in flight. */
  beginBatch(stageHeight: bigint, participants: readonly string[], txHash: string): number;
  /** The batch landed: its decisions are submitted. */
  completeBatch(batchId: number, height: bigint): void;
  /** The batch did not land: its decisions go back to pending. */
  abandonBatch(batchId: number, why: string): void;
  /** These votes are on chain (found by a votes query): submitted whatever their batch. */
  markOnChain(stageHeight: bigint, participants: readonly string[]): void;
  /** The window closed before these could be submitted. */
  markExpired(stageHeight: bigint, participants: readonly string[]): void;
  /** Counts decisions per status (for metrics and tests). */
  counts(): Record<DecisionStatus, number>;
  /** Logs an abstention (the sidecar's own fault kept it from deciding). */
  recordAbstention(stageHeight: bigint, participant: string, cause: string): void;
  abstentions(stageHeight: bigint): { participant: string; cause: string }[];
  close(): void;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS decisions (
  stage_height TEXT NOT NULL,
  participant TEXT NOT NULL,
  vote BLOB NOT NULL,
  verdict INTEGER NOT NULL,
  reason INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'in_flight', 'submitted', 'expired')),
  batch_id INTEGER,
  decided_at INTEGER NOT NULL,
  PRIMARY KEY (stage_height, participant)
);
CREATE TABLE IF NOT EXISTS batches (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  stage_height TEXT NOT NULL,
  tx_hash TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('in_flight', 'landed', 'abandoned')),
  height TEXT,
  note TEXT,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS evidence (
  stage_height TEXT NOT NULL,
  participant TEXT NOT NULL,
  json TEXT NOT NULL,
  PRIMARY KEY (stage_height, participant)
);
CREATE TABLE IF NOT EXISTS abstentions (
  stage_height TEXT NOT NULL,
  participant TEXT NOT NULL,
  cause TEXT NOT NULL,
  at INTEGER NOT NULL
);
`;

/**
 * Opens (or creates) the journal. Writes are synchronous, in WAL mode with synchronous=NORMAL: a
 * decision returned from recordDecision survives a kill -9 (the WAL is in the OS's hands), and no
 * commit waits for an fsync on the event loop. With FULL, one commit on a disk busy with other
 * processes' syncs blocked the sidecar's loop for 6 s (a CPU profile at load 15), and every proof
 * request in flight timed out at once. A power loss may drop the last commits: the sidecar then
 * checks those participants again and reads its votes on chain before signing, so none is sent twice.
 * @example const journal = openJournal("sidecar.db"); journal.recordDecision(10n, vote);
 */
export function openJournal(path: string): Journal {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 5000");
  db.exec(SCHEMA);
  const q = prepareStatements(db);
  const tx = journalTransactions(db, q);
  return {
    path,
    decision: (stage, participant) => {
      const r = q.selectDecision.get(stage.toString(), participant);
      return r === undefined ? undefined : decisionRow(r);
    },
    recordDecision: (stage, vote, evidence) => tx.recordDecision(stage, vote, evidence),
    evidence: (stage, participant) => q.selectEvidence.get(stage.toString(), participant)?.json,
    pending: (stage) => q.selectPending.all(stage.toString()).map(decisionRow),
    openStages: () => q.selectOpenStages.all().map((r) => BigInt(r.stage_height)),
    inFlightBatches: () =>
      q.selectInFlight.all().map((b) => ({
        id: b.id,
        stageHeight: BigInt(b.stage_height),
        txHash: b.tx_hash,
        participants: q.selectBatchMembers.all(b.id).map((m) => m.participant),
      })),
    beginBatch: (stage, participants, txHash) => tx.beginBatch(stage.toString(), participants, txHash),
    completeBatch: (id, height) => tx.completeBatch(id, height.toString()),
    abandonBatch: (id, why) => tx.abandonBatch(id, why),
    markOnChain: (stage, participants) => tx.markMany("submitted", stage.toString(), participants),
    markExpired: (stage, participants) => tx.markMany("expired", stage.toString(), participants),
    counts: () => {
      const out: Record<DecisionStatus, number> = { pending: 0, in_flight: 0, submitted: 0, expired: 0 };
      for (const r of q.selectCounts.all()) out[r.status] = r.n;
      return out;
    },
    recordAbstention: (stage, participant, cause) =>
      void q.insertAbstention.run(stage.toString(), participant, cause.slice(0, 500), Date.now()),
    abstentions: (stage) => q.selectAbstentions.all(stage.toString()),
    close: () => db.close(),
  };
}

/** A decisions row as SQLite returns it. */
interface RawDecision {
  stage_height: string;
  participant: string;
  vote: Buffer;
  status: DecisionStatus;
  batch_id: number | null;
}

function decisionRow(r: RawDecision): DecisionRow {
  return {
    stageHeight: BigInt(r.stage_height),
    participant: r.participant,
    vote: Vote.decode(new Uint8Array(r.vote)),
    status: r.status,
    batchId: r.batch_id,
  };
}

/** Every statement the journal runs, prepared once. */
function prepareStatements(db: Database.Database) {
  return {
    selectDecision: db.prepare<[string, string], RawDecision>(
      "SELECT * FROM decisions WHERE stage_height = ? AND participant = ?",
    ),
    insertDecision: db.prepare(
      `INSERT OR IGNORE INTO decisions (stage_height, participant, vote, verdict, reason, status, batch_id, decided_at)
       VALUES (?, ?, ?, ?, ?, 'pending', NULL, ?)`,
    ),
    insertEvidence: db.prepare("INSERT OR IGNORE INTO evidence (stage_height, participant, json) VALUES (?, ?, ?)"),
    selectEvidence: db.prepare<[string, string], { json: string }>(
      "SELECT json FROM evidence WHERE stage_height = ? AND participant = ?",
    ),
    selectPending: db.prepare<[string], RawDecision>(
      "SELECT * FROM decisions WHERE stage_height = ? AND status = 'pending' ORDER BY decided_at, participant",
    ),
    selectOpenStages: db.prepare<[], { stage_height: string }>(
      "SELECT DISTINCT stage_height FROM decisions WHERE status IN ('pending', 'in_flight')",
    ),
    selectInFlight: db.prepare<[], { id: number; stage_height: string; tx_hash: string }>(
      "SELECT id, stage_height, tx_hash FROM batches WHERE state = 'in_flight' ORDER BY id",
    ),
    selectBatchMembers: db.prepare<[number], { participant: string }>(
      "SELECT participant FROM decisions WHERE batch_id = ? AND status = 'in_flight' ORDER BY participant",
    ),
    insertBatch: db.prepare(
      "INSERT INTO batches (stage_height, tx_hash, state, created_at) VALUES (?, ?, 'in_flight', ?)",
    ),
    setInFlight: db.prepare(
      "UPDATE decisions SET status = 'in_flight', batch_id = ? WHERE stage_height = ? AND participant = ? AND status = 'pending'",
    ),
    landBatch: db.prepare("UPDATE batches SET state = 'landed', height = ? WHERE id = ?"),
    abandon: db.prepare("UPDATE batches SET state = 'abandoned', note = ? WHERE id = ? AND state = 'in_flight'"),
    membersSubmitted: db.prepare(
      "UPDATE decisions SET status = 'submitted' WHERE batch_id = ? AND status = 'in_flight'",
    ),
    membersPending: db.prepare(
      "UPDATE decisions SET status = 'pending', batch_id = NULL WHERE batch_id = ? AND status = 'in_flight'",
    ),
    setStatus: db.prepare(
      "UPDATE decisions SET status = ? WHERE stage_height = ? AND participant = ? AND status != 'submitted'",
    ),
    selectCounts: db.prepare<[], { status: DecisionStatus; n: number }>(
      "SELECT status, COUNT(*) AS n FROM decisions GROUP BY status",
    ),
    insertAbstention: db.prepare("INSERT INTO abstentions (stage_height, participant, cause, at) VALUES (?, ?, ?, ?)"),
    selectAbstentions: db.prepare<[string], { participant: string; cause: string }>(
      "SELECT participant, cause FROM abstentions WHERE stage_height = ? ORDER BY at",
    ),
  };
}

/** The journal's writes that must land together, each in one SQLite transaction. */
function journalTransactions(db: Database.Database, q: ReturnType<typeof prepareStatements>) {
  const recordDecision = db.transaction((stage: bigint, vote: Vote, evidence: string | undefined): boolean => {
    const fresh =
      q.insertDecision.run(
        stage.toString(),
        vote.participant,
        Buffer.from(Vote.encode(vote).finish()),
        vote.verdict,
        vote.reason,
        Date.now(),
      ).changes === 1;
    if (fresh && evidence !== undefined) q.insertEvidence.run(stage.toString(), vote.participant, evidence);
    return fresh;
  });
  const beginBatch = db.transaction((stage: string, participants: readonly string[], txHash: string): number => {
    const id = Number(q.insertBatch.run(stage, txHash, Date.now()).lastInsertRowid);
    for (const p of participants) {
      if (q.setInFlight.run(id, stage, p).changes !== 1) {
        throw new Error(`journal: decision (${stage}, ${p}) is not pending; refusing to send it again`);
      }
    }
    return id;
  });
  const completeBatch = db.transaction((id: number, height: string) => {
    q.landBatch.run(height, id);
    q.membersSubmitted.run(id);
  });
  const abandonBatch = db.transaction((id: number, why: string) => {
    q.abandon.run(why.slice(0, 500), id);
    q.membersPending.run(id);
  });
  const markMany = db.transaction((status: DecisionStatus, stage: string, participants: readonly string[]) => {
    for (const p of participants) q.setStatus.run(status, stage, p);
  });

  return { recordDecision, beginBatch, completeBatch, abandonBatch, markMany };
}
