import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Reason, Verdict, type Vote } from "../../src/gen/pocval/v1/types.js";
import { openJournal } from "../../src/sidecar/index.js";

const vote = (participant: string, verdict = Verdict.VERDICT_HONEST): Vote => ({
  participant,
  verdict,
  reason: Reason.REASON_STAT_TEST,
  checked: 200,
  mismatches: 3,
  pValue: "0.5",
  evidenceHash: new Uint8Array(32).fill(7),
});
const fresh = () => join(mkdtempSync(join(tmpdir(), "pocval-journal-")), "sidecar.db");

describe("journal", () => {
  it("keeps the first decision per (stage, participant) and survives reopening", () => {
    const path = fresh();
    const j = openJournal(path);
    expect(j.recordDecision(10n, vote("a"))).toBe(true);
    expect(j.recordDecision(10n, vote("a", Verdict.VERDICT_CHEATER))).toBe(false);
    expect(j.recordDecision(20n, vote("a", Verdict.VERDICT_CHEATER))).toBe(true);
    j.close();
    const again = openJournal(path);
    expect(again.decision(10n, "a")?.vote).toEqual(vote("a"));
    expect(again.decision(20n, "a")?.vote.verdict).toBe(Verdict.VERDICT_CHEATER);
    expect(again.pending(10n).map((d) => d.participant)).toEqual(["a"]);
    again.close();
  });

  it("moves decisions through a batch: in flight, then submitted or back to pending", () => {
    const j = openJournal(fresh());
    for (const p of ["a", "b", "c"]) j.recordDecision(10n, vote(p));
    const first = j.beginBatch(10n, ["a", "b"], "HASH1");
    expect(j.pending(10n).map((d) => d.participant)).toEqual(["c"]);
    expect(j.inFlightBatches()).toEqual([{ id: first, stageHeight: 10n, txHash: "HASH1", participants: ["a", "b"] }]);
    j.abandonBatch(first, "timeout");
    expect(
      j
        .pending(10n)
        .map((d) => d.participant)
        .sort(),
    ).toEqual(["a", "b", "c"]);
    const second = j.beginBatch(10n, ["a", "b", "c"], "HASH2");
    j.completeBatch(second, 15n);
    expect(j.counts()).toEqual({ pending: 0, in_flight: 0, submitted: 3, expired: 0 });
    expect(j.inFlightBatches()).toEqual([]);
    expect(j.openStages()).toEqual([]);
  });

  it("refuses to put a decision in a second batch while the first may land", () => {
    const j = openJournal(fresh());
    j.recordDecision(10n, vote("a"));
    j.beginBatch(10n, ["a"], "H");
    expect(() => j.beginBatch(10n, ["a"], "H2")).toThrow(/not pending/);
    // The failed transaction left no second batch behind.
    expect(j.inFlightBatches().length).toBe(1);
  });

  it("marks votes found on chain and expired ones", () => {
    const j = openJournal(fresh());
    for (const p of ["a", "b"]) j.recordDecision(10n, vote(p));
    j.markOnChain(10n, ["a"]);
    j.markExpired(10n, ["b"]);
    expect(j.counts()).toEqual({ pending: 0, in_flight: 0, submitted: 1, expired: 1 });
    j.markExpired(10n, ["a"]);
    expect(j.decision(10n, "a")?.status).toBe("submitted");
  });

  it("records abstentions", () => {
    const j = openJournal(fresh());
    j.recordAbstention(10n, "a", "backend: down");
    expect(j.abstentions(10n)).toEqual([{ participant: "a", cause: "backend: down" }]);
  });
});
