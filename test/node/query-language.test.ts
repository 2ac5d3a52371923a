import { describe, expect, it } from "vitest";
import { matches, parseQuery, QuerySyntaxError } from "../../src/node/query-language.js";

describe("the CometBFT event query language", () => {
  it("parses the terms cosmjs builds", () => {
    expect(parseQuery("tx.hash='AB12'")).toEqual([{ key: "tx.hash", op: "=", value: "AB12" }]);
    expect(parseQuery("tm.event='Tx' AND message.sender='pocval1x' AND tx.height>=5")).toEqual([
      { key: "tm.event", op: "=", value: "Tx" },
      { key: "message.sender", op: "=", value: "pocval1x" },
      { key: "tx.height", op: ">=", value: 5 },
    ]);
    expect(parseQuery("pocval.vote.participant EXISTS")).toEqual([
      { key: "pocval.vote.participant", op: "EXISTS", value: undefined },
    ]);
    expect(parseQuery("message.action CONTAINS 'Votes'")).toEqual([
      { key: "message.action", op: "CONTAINS", value: "Votes" },
    ]);
  });

  it("keeps AND inside quotes", () => {
    expect(parseQuery("memo.text='this AND that'")).toEqual([{ key: "memo.text", op: "=", value: "this AND that" }]);
  });

  it("refuses what it cannot read, naming the problem", () => {
    for (const bad of ["", "tx.height=", "tx.height='5", "x = y", "a.b=1 AND", "1abc=2"]) {
      expect(() => parseQuery(bad)).toThrow(QuerySyntaxError);
    }
  });

  it("matches attributes, numbers numerically", () => {
    const attrs = new Map([
      ["tx.height", ["12"]],
      ["message.sender", ["pocval1a", "pocval1b"]],
    ]);
    expect(matches(parseQuery("tx.height=12 AND message.sender='pocval1b'"), attrs)).toBe(true);
    expect(matches(parseQuery("tx.height>12"), attrs)).toBe(false);
    expect(matches(parseQuery("tx.height<13"), attrs)).toBe(true);
    expect(matches(parseQuery("message.sender='pocval1c'"), attrs)).toBe(false);
    expect(matches(parseQuery("transfer.amount EXISTS"), attrs)).toBe(false);
  });
});
