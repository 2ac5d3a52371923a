import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { pocvalTallyAbi, pocvalTallyBytecode } from "../../src/evm/artifacts/PocvalTally.js";

describe("src/evm/artifacts", () => {
  it("is what contracts/ compiles to (run npm run contracts after editing a .sol)", () => {
    const out = execFileSync("node", ["scripts/contracts.js", "--check"], { encoding: "utf8" });
    expect(out).toContain("src/evm/artifacts match contracts/");
  }, 300_000);

  it("carries the interface of docs/protocol.md's EVM binding", () => {
    const names = new Set<string>(pocvalTallyAbi.map((item) => ("name" in item ? item.name : item.type)));
    for (const name of ["register", "commit", "submitVotes", "tally", "Committed", "Voted"]) {
      expect(names.has(name), name).toBe(true);
    }
    expect(pocvalTallyBytecode).toMatch(/^0x[0-9a-f]{1000,}$/);
  });
});
