import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NoSlotHoldersError, slotAssignment, slotHolders, slotSeed } from "../../src/core/index.js";

// Computed independently from docs/protocol.md by scripts/reference/slots.py (Python hashlib).
const VECTORS = [
  {
    stageHeight: 120n,
    samplingBlockHash: "abababababababababababababababababababababababababababababababab",
    participantAddress: "pocval1participantx",
    stakes: [
      { validator: "pocval1validatorc", stake: 30n },
      { validator: "pocval1validatora", stake: 50n },
      { validator: "pocval1validatorb", stake: 20n },
    ],
    slots: 8,
    expected: [
      "pocval1validatorc",
      "pocval1validatorb",
      "pocval1validatora",
      "pocval1validatorc",
      "pocval1validatorb",
      "pocval1validatora",
      "pocval1validatorb",
      "pocval1validatora",
    ],
  },
  {
    stageHeight: 4000n,
    samplingBlockHash: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    participantAddress: "pocval1v03",
    stakes: [
      { validator: "pocval1v00", stake: 1n },
      { validator: "pocval1v01", stake: 920n },
      { validator: "pocval1v02", stake: 839n },
      { validator: "pocval1v03", stake: 758n },
      { validator: "pocval1v04", stake: 677n },
      { validator: "pocval1v05", stake: 0n },
      { validator: "pocval1v06", stake: 515n },
      { validator: "pocval1v07", stake: 434n },
      { validator: "pocval1v08", stake: 353n },
      { validator: "pocval1v09", stake: 272n },
      { validator: "pocval1v10", stake: 191n },
      { validator: "pocval1v11", stake: 110n },
      { validator: "pocval1v12", stake: 29n },
      { validator: "pocval1v13", stake: 948n },
      { validator: "pocval1v14", stake: 867n },
      { validator: "pocval1v15", stake: 786n },
      { validator: "pocval1v16", stake: 705n },
      { validator: "pocval1v17", stake: 624n },
      { validator: "pocval1v18", stake: 543n },
      { validator: "pocval1v19", stake: 462n },
    ],
    slots: 25,
    expected: [
      "pocval1v14",
      "pocval1v19",
      "pocval1v18",
      "pocval1v01",
      "pocval1v06",
      "pocval1v04",
      "pocval1v04",
      "pocval1v14",
      "pocval1v16",
      "pocval1v02",
      "pocval1v01",
      "pocval1v19",
      "pocval1v19",
      "pocval1v01",
      "pocval1v14",
      "pocval1v01",
      "pocval1v07",
      "pocval1v14",
      "pocval1v06",
      "pocval1v04",
      "pocval1v14",
      "pocval1v02",
      "pocval1v13",
      "pocval1v01",
      "pocval1v13",
    ],
  },
  {
    stageHeight: 1099511627783n,
    samplingBlockHash: "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    participantAddress: "pocval1p",
    stakes: [
      { validator: "pocval1big", stake: 9223372036854775808n },
      { validator: "pocval1small", stake: 3n },
      { validator: "pocval1mid", stake: 1099511627776n },
    ],
    slots: 12,
    expected: [
      "pocval1big",
      "pocval1big",
      "pocval1big",
      "pocval1big",
      "pocval1big",
      "pocval1big",
      "pocval1big",
      "pocval1big",
      "pocval1big",
      "pocval1big",
      "pocval1big",
      "pocval1big",
    ],
  },
];

describe("slotAssignment", () => {
  it("equals the Python reference vectors", () => {
    for (const { expected, ...input } of VECTORS) expect(slotAssignment(input)).toEqual(expected);
  });

  it("never gives a slot to the participant or to a zero-stake validator", () => {
    const v = VECTORS[1]!;
    const got = slotAssignment({ ...v, slots: 2000 });
    expect(got).not.toContain("pocval1v03");
    expect(got).not.toContain("pocval1v05");
    expect(got.slice(0, v.slots)).toEqual(v.expected);
  });

  it("does not depend on the order of the stake snapshot (fast-check)", () => {
    const v = VECTORS[1]!;
    fc.assert(
      fc.property(fc.shuffledSubarray([...v.stakes], { minLength: v.stakes.length }), (shuffled) => {
        expect(slotAssignment({ ...v, stakes: shuffled })).toEqual(v.expected);
      }),
      { numRuns: 30 },
    );
  });

  it("draws by stake: frequencies within 5 sigma of stake shares", () => {
    const v = VECTORS[0]!;
    const m = 20000;
    const got = slotAssignment({ ...v, slots: m });
    for (const [validator, share] of [
      ["pocval1validatora", 0.5],
      ["pocval1validatorb", 0.2],
    ] as const) {
      const c = got.filter((x) => x === validator).length;
      expect(Math.abs(c - m * share)).toBeLessThan(5 * Math.sqrt(m * share * (1 - share)));
    }
  });

  it("refuses a snapshot where nobody but the participant has stake", () => {
    expect(() =>
      slotAssignment({
        stageHeight: 1,
        samplingBlockHash: "00".repeat(32),
        participantAddress: "p",
        stakes: [
          { validator: "p", stake: 5n },
          { validator: "q", stake: 0n },
        ],
        slots: 3,
      }),
    ).toThrow(NoSlotHoldersError);
    expect(() => slotAssignment({ ...VECTORS[0]!, slots: 0 })).toThrow(/slots must be a positive integer/);
  });
});

describe("slotHolders", () => {
  it("counts each holder's slots, sorted by address", () => {
    expect(slotHolders(VECTORS[0]!)).toEqual([
      { validator: "pocval1validatora", slots: 3 },
      { validator: "pocval1validatorb", slots: 3 },
      { validator: "pocval1validatorc", slots: 2 },
    ]);
  });
  it("seeds differ by participant and stage", () => {
    const base = { stageHeight: 1, samplingBlockHash: "00".repeat(32), participantAddress: "a" };
    expect(slotSeed(base)).not.toEqual(slotSeed({ ...base, participantAddress: "b" }));
    expect(slotSeed(base)).not.toEqual(slotSeed({ ...base, stageHeight: 2 }));
  });
});
