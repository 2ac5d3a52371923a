import { describe, expect, it } from "vitest";
import { evidenceHash, toHex } from "../../src/core/index.js";

describe("evidenceHash", () => {
  it("hashes indices and distances as documented (checked with Python hashlib)", () => {
    expect(toHex(evidenceHash([3, 7], [0.125, null]))).toBe(
      "1f54a0c362adbf41db53be93790e88e76213d5b52c54c88c6b4bca50eaffc184",
    );
  });

  it("changes with any index or distance", () => {
    const a = toHex(evidenceHash([3, 7], [0.125, 0.5]));
    expect(toHex(evidenceHash([3, 8], [0.125, 0.5]))).not.toBe(a);
    expect(toHex(evidenceHash([3, 7], [0.125, 0.5000001]))).not.toBe(a);
    expect(toHex(evidenceHash([7, 3], [0.5, 0.125]))).not.toBe(a);
  });

  it("refuses mismatched lengths", () => {
    expect(() => evidenceHash([1], [])).toThrow(/1 indices but 0 distances/);
  });
});
