import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { MsgCommitArtifacts } from "../../src/gen/pocval/v1/tx.js";

describe("src/gen", () => {
  it("is what proto/ generates (run npm run proto after editing a .proto)", () => {
    const out = execFileSync("node", ["scripts/proto.js", "--check"], { encoding: "utf8" });
    expect(out).toContain("src/gen matches proto/");
  }, 60_000);

  it("encodes MsgCommitArtifacts with the field numbers of tx.proto", () => {
    const bytes = MsgCommitArtifacts.encode({
      creator: "a",
      stageHeight: 2n,
      count: 300n,
      rootHash: new Uint8Array([9]),
    }).finish();
    // field 1 "a", field 2 varint 2, field 3 varint 300, field 4 bytes [9]
    expect(Buffer.from(bytes).toString("hex")).toBe("0a0161100218ac02220109");
  });
});
