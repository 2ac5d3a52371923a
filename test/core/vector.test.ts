import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DecodeError,
  decodeVector,
  encodeVector,
  fromBase64,
  fromHalfBits,
  l2Distance,
  toHalfBits,
  toHex,
  vectorFromBase64,
  vectorToBase64,
} from "../../src/core/index.js";

describe("binary16 codec", () => {
  it("encodes literal values as numpy's float16 does (little endian)", () => {
    // Expected bytes from numpy: np.float16(x).tobytes().hex()
    expect(toHex(encodeVector([0.1]))).toBe("662e");
    expect(toHex(encodeVector([-2.5]))).toBe("00c1");
    expect(toHex(encodeVector([65504]))).toBe("ff7b");
    expect(toHex(encodeVector([1e-7]))).toBe("0200");
    expect(toHex(encodeVector([70000]))).toBe("007c");
    expect(toHex(encodeVector([6e-5]))).toBe("ef03");
    expect(toHex(encodeVector([0.33325]))).toBe("5535");
  });

  it("round-trips every finite binary16 bit pattern", () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const exp = (bits >>> 10) & 0x1f;
      if (exp === 0x1f) continue;
      expect(toHalfBits(fromHalfBits(bits))).toBe(bits);
    }
  });

  it("decodes what it encodes, within half precision", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1000, max: 1000, noNaN: true }), { minLength: 1, maxLength: 64 }),
        (xs) => {
          const decoded = decodeVector(encodeVector(xs), xs.length);
          xs.forEach((x, i) => {
            expect(Math.abs(decoded[i]! - x)).toBeLessThanOrEqual(Math.max(Math.abs(x) * 2 ** -11, 2 ** -25));
          });
          // A second round trip is exact.
          expect(toHex(encodeVector(decoded))).toBe(toHex(encodeVector(xs)));
        },
      ),
    );
  });

  it("rejects a wrong length, NaN and infinity saying which", () => {
    expect(() => decodeVector(new Uint8Array(22), 12)).toThrow(/expected 24 bytes .* got 22/);
    const nan = encodeVector(new Array(12).fill(0));
    nan.set([0x00, 0x7e], 6);
    expect(() => decodeVector(nan, 12)).toThrow(/value 3 is NaN/);
    const inf = encodeVector(new Array(12).fill(0));
    inf.set([0x00, 0xfc], 22);
    expect(() => decodeVector(inf, 12)).toThrow(/value 11 is infinite/);
    expect(() => decodeVector(inf, 12)).toThrow(DecodeError);
  });

  it("travels as standard base64", () => {
    const b64 = vectorToBase64([1, -1]);
    expect(b64).toBe("ADwAvA==");
    expect(Array.from(vectorFromBase64(b64, 2))).toEqual([1, -1]);
    expect(() => vectorFromBase64("ADwAvA", 2)).toThrow(/not standard padded base64/);
    expect(() => fromBase64("AD wAvA==", "x")).toThrow(DecodeError);
  });
});

describe("l2Distance", () => {
  it("is the Euclidean distance", () => {
    expect(l2Distance([0, 3], [4, 0])).toBe(5);
    expect(l2Distance([1, 1, 1], [1, 1, 1])).toBe(0);
    expect(() => l2Distance([1], [1, 2])).toThrow(/lengths differ/);
  });

  it("is symmetric and satisfies the triangle inequality", () => {
    const vec = fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 4, maxLength: 4 });
    fc.assert(
      fc.property(vec, vec, vec, (a, b, c) => {
        expect(l2Distance(a, b)).toBe(l2Distance(b, a));
        expect(l2Distance(a, c)).toBeLessThanOrEqual(l2Distance(a, b) + l2Distance(b, c) + 1e-9);
      }),
    );
  });
});
