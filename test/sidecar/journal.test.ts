import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
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
// Every folder fresh() makes is removed after the file's tests (the property test makes dozens).
const made: string[] = [];
const fresh = () => {
  const dir = mkdtempSync(join(tmpdir(), "pocval-journal-"));
  made.push(dir);
  return join(dir, "sidecar.db");
};
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

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

  it("keeps the evidence of a fault vote with its decision, only with the first decision, across reopening", () => {
    const dir = mkdtempSync(join(tmpdir(), "pocval-journal-"));
    try {
      const path = join(dir, "sidecar.db");
      const j = openJournal(path);
      const fault = { ...vote("p", Verdict.VERDICT_CHEATER), reason: Reason.REASON_BAD_NONCE };
      expect(j.recordDecision(10n, fault, '{"reason":"BAD_NONCE"}')).toBe(true);
      expect(j.recordDecision(10n, fault, '{"reason":"other"}')).toBe(false);
      expect(j.recordDecision(10n, vote("q"))).toBe(true);
      j.close();
      const again = openJournal(path);
      expect(again.evidence(10n, "p")).toBe('{"reason":"BAD_NONCE"}');
      expect(again.evidence(10n, "q")).toBeUndefined();
      expect(again.evidence(11n, "p")).toBeUndefined();
      again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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

describe("journal (model-based property)", () => {
  type Cmd =
    | { op: "record"; p: number }
    | { op: "begin"; ps: number[] }
    | { op: "complete" | "abandon"; nth: number }
    | { op: "onChain"; p: number }
    | { op: "reopen" };
  const cmd = fc.oneof(
    fc.record({ op: fc.constant("record" as const), p: fc.nat(5) }),
    fc.record({ op: fc.constant("begin" as const), ps: fc.uniqueArray(fc.nat(5), { minLength: 1, maxLength: 3 }) }),
    fc.record({ op: fc.constantFrom("complete" as const, "abandon" as const), nth: fc.nat(3) }),
    fc.record({ op: fc.constant("onChain" as const), p: fc.nat(5) }),
    fc.record({ op: fc.constant("reopen" as const) }),
  );

  it("agrees with a model through any sequence of operations and reopenings; a decision is never in two live batches", () => {
    fc.assert(
      fc.property(fc.array(cmd, { maxLength: 30 }), (cmds: Cmd[]) => {
        const path = fresh();
        let j = openJournal(path);
        const status = new Map<string, "pending" | "in_flight" | "submitted">();
        const batches = new Map<number, string[]>();
        try {
          for (const c of cmds) {
            if (c.op === "record") {
              const p = `p${c.p}`;
              expect(j.recordDecision(10n, vote(p))).toBe(!status.has(p));
              if (!status.has(p)) status.set(p, "pending");
            } else if (c.op === "begin") {
              const ps = c.ps.map((n) => `p${n}`);
              const ok = ps.every((p) => status.get(p) === "pending");
              if (ok) {
                batches.set(j.beginBatch(10n, ps, `H${batches.size}`), ps);
                for (const p of ps) status.set(p, "in_flight");
              } else expect(() => j.beginBatch(10n, ps, "X")).toThrow();
            } else if (c.op === "complete" || c.op === "abandon") {
              const live = [...batches.keys()];
              if (live.length === 0) continue;
              const id = live[c.nth % live.length]!;
              const members = batches.get(id)!;
              batches.delete(id);
              if (c.op === "complete") {
                j.completeBatch(id, 20n);
                for (const p of members) if (status.get(p) === "in_flight") status.set(p, "submitted");
              } else {
                j.abandonBatch(id, "test");
                for (const p of members) if (status.get(p) === "in_flight") status.set(p, "pending");
              }
            } else if (c.op === "onChain") {
              const p = `p${c.p}`;
              j.markOnChain(10n, [p]);
              if (status.has(p)) status.set(p, "submitted");
            } else {
              j.close();
              j = openJournal(path);
            }
            // The journal agrees with the model after every step.
            for (const [p, s] of status) expect(j.decision(10n, p)?.status).toBe(s);
            const inFlight = j.inFlightBatches().flatMap((b) => b.participants);
            expect(new Set(inFlight).size).toBe(inFlight.length);
            expect(
              j
                .pending(10n)
                .map((d) => d.participant)
                .sort(),
            ).toEqual(
              [...status]
                .filter(([, s]) => s === "pending")
                .map(([p]) => p)
                .sort(),
            );
          }
        } finally {
          j.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});
