// The SHA-256 Box-Muller stream (src/core/gaussians.ts) behind reference vectors and cheat vectors.
import { describe, expect, it } from "vitest";
import { concatBytes, sha256Gaussians } from "../../src/core/index.js";

const message = () => concatBytes(new TextEncoder().encode("pocval-test"), new Uint8Array(8));

describe("sha256Gaussians", () => {
  it("gives the values of its definition (computed independently in Python's hashlib and math)", () => {
    // Block 0 gives the first eight values, block 1 the next two.
    expect(Array.from(sha256Gaussians(message(), 10))).toEqual([
      1.1942496124413253, 0.815110860294936, -0.09186487577385642, -0.7613028271255661, -1.2219811677962527,
      0.6031370478004177, 0.9742395261157963, 1.5900250829784848, -0.8449936060269927, -1.5229241420267592,
    ]);
  });

  it("a shorter run is a prefix of a longer one, and the buffer's counter bytes may hold anything", () => {
    const dirty = message();
    dirty.fill(0xff, dirty.length - 8);
    const long = sha256Gaussians(message(), 21);
    expect(Array.from(sha256Gaussians(dirty, 7))).toEqual(Array.from(long.slice(0, 7)));
  });

  it("refuses a message without room for the counter", () => {
    expect(() => sha256Gaussians(new Uint8Array(7), 1)).toThrow(RangeError);
  });
});
