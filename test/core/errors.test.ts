import { describe, expect, it } from "vitest";
import { DecodeError, fromBase64, PocvalError } from "../../src/core/index.js";

describe("PocvalError", () => {
  it("keeps the cause and the context", () => {
    const cause = new RangeError("low level");
    const err = new PocvalError("what went wrong", { cause, context: { stage: 32n } });
    expect(err).toBeInstanceOf(Error);
    expect(err.cause).toBe(cause);
    expect(err.context).toEqual({ stage: 32n });
    expect(err.message).toBe("what went wrong");
  });
  it("sets no cause when none is given", () => {
    expect("cause" in new PocvalError("x")).toBe(false);
  });
  it("is the base of the decoders' errors, which name their field", () => {
    let caught: unknown;
    try {
      fromBase64("not base64!", "vector_b64");
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(DecodeError);
    expect(caught).toBeInstanceOf(PocvalError);
    expect((caught as DecodeError).field).toBe("vector_b64");
    expect((caught as DecodeError).context).toMatchObject({ field: "vector_b64" });
  });
});
