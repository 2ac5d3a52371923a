import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "pocval-plan-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("pocval plan", () => {
  it("prints the front and the cheapest design meeting both bounds, and draws it", () => {
    const stakes = join(dir, "stakes.json");
    writeFileSync(stakes, JSON.stringify([40, 25, 15, 10, 5, 5]));
    const svg = join(dir, "front.svg");
    const r = runCli(
      [
        "plan",
        "--stakes",
        stakes,
        "--honest-rate",
        "0.02",
        "--cheater-rate",
        "0.1",
        "--max-false-conviction",
        "0.001",
        "--min-detection",
        "0.99",
        "--slots",
        "0,1,3,5",
        "--sample-sizes",
        "50,100,200",
        "--alphas",
        "0.01,0.05",
        "--json",
        "--plot",
        svg,
      ],
      { timeoutMs: 120_000 },
    );
    expect(r.status).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.evaluated).toBe(24);
    const best = plan.best;
    expect(best).not.toBeNull();
    expect(best.p_false_conviction).toBeLessThanOrEqual(0.001);
    expect(best.p_detection).toBeGreaterThanOrEqual(0.99);
    // Nothing on the front meeting both bounds is cheaper than best.
    for (const d of plan.designs) {
      if (d.p_false_conviction <= 0.001 && d.p_detection >= 0.99) {
        expect(d.recomputes_per_participant).toBeGreaterThanOrEqual(best.recomputes_per_participant);
      }
    }
    expect(Object.keys(best).sort()).toEqual(
      expect.arrayContaining([
        "slots",
        "n",
        "alpha",
        "k_crit",
        "p_false_conviction",
        "p_detection",
        "recomputes_per_participant",
      ]),
    );
    expect(readFileSync(svg, "utf8")).toContain("<svg");
  });

  it("refuses a cheater rate not above the honest rate", () => {
    const stakes = join(dir, "s2.json");
    writeFileSync(stakes, "[1, 2]");
    const r = runCli([
      "plan",
      "--stakes",
      stakes,
      "--honest-rate",
      "0.02",
      "--cheater-rate",
      "0.01",
      "--max-false-conviction",
      "0.001",
      "--min-detection",
      "0.9",
    ]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("cheater-rate");
  });
});

describe("pocval slots", () => {
  it("prints the holders core derives for a snapshot file", () => {
    const stakes = join(dir, "snapshot.json");
    // The first vector of test/core/slots.test.ts (Python reference), as a [{address, stake}] snapshot.
    writeFileSync(
      stakes,
      JSON.stringify([
        { address: "pocval1validatorc", stake: 30 },
        { address: "pocval1validatora", stake: 50 },
        { address: "pocval1validatorb", stake: "20" },
      ]),
    );
    const r = runCli([
      "slots",
      "--stage-height",
      "120",
      "--sampling-block-hash",
      "ab".repeat(32),
      "--participant",
      "pocval1participantx",
      "--stakes",
      stakes,
      "--slots",
      "8",
    ]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      holders: [
        "pocval1validatorc",
        "pocval1validatorb",
        "pocval1validatora",
        "pocval1validatorc",
        "pocval1validatorb",
        "pocval1validatora",
        "pocval1validatorb",
        "pocval1validatora",
      ],
      slots_by_validator: [
        { validator: "pocval1validatora", slots: 3 },
        { validator: "pocval1validatorb", slots: 3 },
        { validator: "pocval1validatorc", slots: 2 },
      ],
    });
  });
});
