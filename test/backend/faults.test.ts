import { describe, expect, it } from "vitest";
import { createFaultState, FaultSpecError, parseFaultSpecs, seededRandom } from "../../src/backend/index.js";

describe("parseFaultSpecs", () => {
  it("parses every kind", () => {
    expect(
      parseFaultSpecs([
        "down",
        "busy:0:500",
        "busy:1000:250",
        "busy-rate:0.25",
        "busy-next:2",
        "delay:40",
        "drop-rate:0.1",
        "drop-next:1",
        "fail-next:3",
        "seed:9",
      ]),
    ).toEqual({
      down: true,
      busyPeriods: [
        { fromMs: 0, forMs: 500 },
        { fromMs: 1000, forMs: 250 },
      ],
      busyProbability: 0.25,
      busyNext: 2,
      delayMs: 40,
      dropProbability: 0.1,
      dropNext: 1,
      failNextJobs: 3,
      seed: 9,
    });
    expect(parseFaultSpecs([])).toEqual({});
  });

  it.each([["busy:1"], ["delay:-5"], ["drop-rate:2"], ["busy-next:1.5"], ["explode"], ["down:1"], ["delay:"]])(
    "refuses %s naming it",
    (spec) => {
      expect(() => parseFaultSpecs([spec])).toThrow(FaultSpecError);
    },
  );
});

describe("createFaultState", () => {
  it("serves by default, with the configured delay", () => {
    expect(createFaultState({}, 0).decide(0)).toEqual({ kind: "serve", delayMs: 0 });
    expect(createFaultState({ delayMs: 30 }, 0).decide(5)).toEqual({ kind: "serve", delayMs: 30 });
  });

  it("answers busy inside busy periods only, counted from when the faults were set", () => {
    const f = createFaultState({ busyPeriods: [{ fromMs: 100, forMs: 50 }] }, 1000);
    expect(f.decide(1099).kind).toBe("serve");
    expect(f.decide(1100).kind).toBe("unavailable");
    expect(f.decide(1149).kind).toBe("unavailable");
    expect(f.decide(1150).kind).toBe("serve");
  });

  it("consumes one-shot counters in order: drops, then busy answers, then job failures", () => {
    const f = createFaultState({ dropNext: 1, busyNext: 2, failNextJobs: 1 }, 0);
    expect(f.decide(0).kind).toBe("drop");
    expect(f.decide(0).kind).toBe("unavailable");
    expect(f.decide(0).kind).toBe("unavailable");
    expect(f.decide(0).kind).toBe("serve");
    expect(f.takeJobFailure()).toBe(true);
    expect(f.takeJobFailure()).toBe(false);
    expect(f.current()).toMatchObject({ dropNext: 0, busyNext: 0, failNextJobs: 0 });
  });

  it("down answers unavailable every time", () => {
    const f = createFaultState({ down: true }, 0);
    for (let i = 0; i < 5; i++) expect(f.decide(i)).toEqual({ kind: "unavailable", reason: "engine down" });
  });

  it("busy probability follows its rate and replays with the same seed", () => {
    const run = (seed: number) => {
      const f = createFaultState({ busyProbability: 0.3, seed }, 0);
      return Array.from({ length: 2000 }, () => f.decide(0).kind);
    };
    const a = run(7);
    expect(run(7)).toEqual(a);
    expect(run(8)).not.toEqual(a);
    const busy = a.filter((k) => k === "unavailable").length / a.length;
    expect(busy).toBeGreaterThan(0.25);
    expect(busy).toBeLessThan(0.35);
  });

  it("seededRandom gives uniform values in [0, 1)", () => {
    const r = seededRandom(3);
    const xs = Array.from({ length: 5000 }, r);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(xs.reduce((s, x) => s + x, 0) / xs.length).toBeCloseTo(0.5, 1);
  });

  it("refuses invalid options", () => {
    expect(() => createFaultState({ busyProbability: 2 }, 0)).toThrow();
  });
});
