import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "pocval-plan-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("pocval plan", () => {
  it("prints the cheapest design meeting every bound as JSON best, with the front, and draws it", () => {
    const stakes = join(dir, "stakes.json");
    writeFileSync(stakes, JSON.stringify([40, 25, 15, 10, 5, 5, 4, 3, 2, 1]));
    const svg = join(dir, "front.svg");
    const r = runCli(
      [
        "plan",
        "--stakes",
        stakes,
        "--honest-rate",
        "0.02",
        "--max-false-conviction",
        "0.001",
        "--max-profitable-skip",
        "0.05",
        "--byzantine-stake",
        "1/4",
        "--max-frame",
        "0.01",
        "--slots",
        "0,8,9,10,11,12,16",
        "--sample-sizes",
        "50,100,150,200",
        "--json",
        "--plot",
        svg,
      ],
      { timeoutMs: 120_000 },
    );
    expect(r.status).toBe(0);
    const plan = JSON.parse(r.stdout);
    const best = plan.best;
    expect(best).not.toBeNull();
    expect(best.p_false_conviction).toBeLessThanOrEqual(0.001);
    expect(best.p_frame).toBeLessThanOrEqual(0.01);
    expect(best.s_star).toBeLessThanOrEqual(0.05);
    for (const key of [
      "slots",
      "n",
      "k_crit",
      "alpha",
      "p_false_conviction",
      "p_false_conviction_at_1_25x",
      "p_frame",
      "s_star",
      "recomputes_per_participant",
      "curtailed_recomputes_honest",
    ]) {
      expect(best).toHaveProperty(key);
    }
    // Nothing on the front is cheaper than best with an s* as small.
    for (const d of plan.front) {
      if (d.s_star <= best.s_star)
        expect(d.curtailed_recomputes_honest).toBeGreaterThanOrEqual(best.curtailed_recomputes_honest);
    }
    expect(readFileSync(svg, "utf8")).toContain("<svg");
  });

  it("--early-acceptance reports acceptance_rate and the best without it; --front-skips adds tighter bounds", () => {
    const stakes = join(dir, "stakes-early.json");
    writeFileSync(stakes, JSON.stringify([40, 25, 15, 10, 5, 5, 4, 3, 2, 1]));
    const r = runCli(
      [
        "plan",
        "--stakes",
        stakes,
        "--honest-rate",
        "0.02",
        "--max-false-conviction",
        "0.001",
        "--max-profitable-skip",
        "0.05",
        "--slots",
        "0,8,12",
        "--sample-sizes",
        "40,80,120,160",
        "--chunk-size",
        "10",
        "--early-acceptance",
        "--front-skips",
        "0.02,0.2",
        "--json",
      ],
      { timeoutMs: 120_000 },
    );
    expect(r.status).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.constraints.early_acceptance).toBe(true);
    expect(plan.best).toHaveProperty("acceptance_rate");
    const v2 = plan.best_without_early_acceptance;
    expect(v2.acceptance_rate).toBeNull();
    expect(plan.best.curtailed_recomputes_honest).toBeLessThanOrEqual(v2.curtailed_recomputes_honest);
    if (plan.best.acceptance_rate !== null) expect(Number(plan.best.acceptance_rate)).toBeLessThan(0.02);
    // The front reaches the tighter bound 0.02 (a dearer design) besides the asked one.
    const sStars = plan.front.map((d: { s_star: number }) => d.s_star);
    expect(sStars.some((x: number) => x <= 0.02)).toBe(true);
    expect(sStars.some((x: number) => x > 0.02 && x <= 0.05)).toBe(true);
  });

  it("refuses --min-detection without --cheater-rate", () => {
    const stakes = join(dir, "s2.json");
    writeFileSync(stakes, "[1, 2]");
    const r = runCli([
      "plan",
      "--stakes",
      stakes,
      "--honest-rate",
      "0.02",
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
