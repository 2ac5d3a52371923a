// The one spelling of verdicts and reasons (src/core/names.ts) that reports, pages, queries and
// metric labels share.
import { describe, expect, it } from "vitest";
import { REASON_NAMES, reasonName, verdictName, voteLabels } from "../../src/core/index.js";
import { Reason, Verdict } from "../../src/gen/pocval/v1/types.js";

describe("verdict and reason names", () => {
  it("are the proto names without their prefix", () => {
    expect(verdictName(Verdict.VERDICT_CHEATER)).toBe("CHEATER");
    expect(verdictName(Verdict.VERDICT_HONEST)).toBe("HONEST");
    expect(verdictName(Verdict.VERDICT_UNSPECIFIED)).toBe("UNSPECIFIED");
    expect(reasonName(Reason.REASON_STAT_TEST)).toBe("STAT_TEST");
    expect(reasonName(Reason.REASON_INVALID_PROOF)).toBe("INVALID_PROOF");
    expect(reasonName(Reason.REASON_UNAVAILABLE)).toBe("UNAVAILABLE");
  });

  it("name a number the proto does not define UNRECOGNIZED", () => {
    expect(verdictName(7 as Verdict)).toBe("UNRECOGNIZED");
    expect(reasonName(99 as Reason)).toBe("UNRECOGNIZED");
  });

  it("are lower case as metric labels", () => {
    expect(voteLabels({ verdict: Verdict.VERDICT_CHEATER, reason: Reason.REASON_BAD_NONCE })).toEqual({
      verdict: "cheater",
      reason: "bad_nonce",
    });
  });

  it("REASON_NAMES lists every reason the proto defines but UNSPECIFIED", () => {
    const names = Object.values(Reason)
      .filter((r): r is Reason => typeof r === "number" && r > 0)
      .map(reasonName);
    expect([...REASON_NAMES]).toEqual(names);
  });
});
