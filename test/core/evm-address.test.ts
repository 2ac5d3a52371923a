// The EVM address rule (src/core/evm-address.ts): the shape taken on input, the one spelling out.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isEvmAddress, lowerEvmAddress } from "../../src/core/index.js";

describe("EVM addresses", () => {
  it("are 0x and 40 hex digits in any case", () => {
    expect(isEvmAddress("0x5FbDB2315678afecb367f032d93F642f64180aa3")).toBe(true);
    expect(isEvmAddress("0x5fbdb2315678afecb367f032d93f642f64180aa3")).toBe(true);
    expect(isEvmAddress("5fbdb2315678afecb367f032d93f642f64180aa3")).toBe(false);
    expect(isEvmAddress("0x5fbdb2315678afecb367f032d93f642f64180aa")).toBe(false);
    expect(isEvmAddress("0x5fbdb2315678afecb367f032d93f642f64180aag")).toBe(false);
    expect(isEvmAddress(undefined)).toBe(false);
  });

  it("are spelled lower-case, whatever case they came in (fast-check)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.boolean(), (bytes, upper) => {
        const hex = Buffer.from(bytes).toString("hex");
        const address = `0x${upper ? hex.toUpperCase() : hex}`;
        expect(isEvmAddress(address)).toBe(true);
        expect(lowerEvmAddress(address)).toBe(`0x${hex}`);
      }),
    );
  });
});
