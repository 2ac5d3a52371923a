import { describe, expect, it } from "vitest";
import { z } from "zod";
import { fieldName, zodField, zodFieldLines, zodIssueLines } from "../../src/core/index.js";

const schema = z.object({ votes: z.array(z.object({ participant: z.string() })), n: z.number() });
const fail = (value: unknown) => {
  const parsed = schema.safeParse(value);
  if (parsed.success) throw new Error("expected a failed parse");
  return parsed.error;
};

describe("zod error formatting", () => {
  it("names a wire field as the protocol code writes it", () => {
    expect(fieldName(["votes", 1, "participant"])).toBe("votes[1].participant");
    expect(fieldName([0, "nonce"])).toBe("[0].nonce");
    expect(zodField(fail({ votes: [{ participant: "a" }, {}], n: 1 }))).toEqual({
      field: "votes[1].participant",
      message: expect.stringMatching(/string/),
    });
    expect(zodField(fail("x")).field).toBe("(body)");
  });
  it("lists every issue of a file with its dotted path, the root as (root)", () => {
    expect(zodIssueLines(fail({ votes: [{}] }))).toEqual([
      expect.stringMatching(/^votes\.0\.participant: /),
      expect.stringMatching(/^n: /),
    ]);
    expect(zodIssueLines(fail(null))[0]).toMatch(/^\(root\): /);
  });
  it("lists every issue with its wire field name, the root as (root)", () => {
    expect(zodFieldLines(fail({ votes: [{}] }))).toEqual([
      expect.stringMatching(/^votes\[0\]\.participant: /),
      expect.stringMatching(/^n: /),
    ]);
    expect(zodFieldLines(fail(null))[0]).toMatch(/^\(root\): /);
  });
});
