/**
 * The CometBFT event query language, as far as tx_search and subscriptions use it:
 * `key op operand` terms joined by AND, where op is =, <, <=, >, >=, CONTAINS or EXISTS and an
 * operand is a 'quoted string' or a number, e.g. `tx.height>=5 AND message.sender='pocval1...'`.
 */
import type { Condition, Operator } from "../app/index.js";
import { PocvalError } from "../core/index.js";

export type { Condition, Operator };

/** A query that does not parse; the RPC answers it as invalid params. */
export class QuerySyntaxError extends PocvalError {
  override name = "QuerySyntaxError";
  constructor(
    readonly query: string,
    detail: string,
  ) {
    super(`invalid query "${query}": ${detail}`);
  }
}

const MAX_QUERY_LENGTH = 2048;
const KEY = /^[A-Za-z_][A-Za-z0-9_.\-/]*$/;

/** Splits on AND outside quotes. */
function splitTerms(query: string): string[] {
  const terms: string[] = [];
  let current = "";
  let quoted = false;
  let i = 0;
  while (i < query.length) {
    const ch = query[i]!;
    if (ch === "'") quoted = !quoted;
    const and = quoted || !/\s/.test(ch) ? null : query.slice(i).match(/^\s+AND\s+/);
    if (and) {
      terms.push(current);
      current = "";
      i += and[0].length;
      continue;
    }
    current += ch;
    i++;
  }
  if (quoted) throw new QuerySyntaxError(query, "unterminated quote");
  terms.push(current);
  return terms.map((t) => t.trim());
}

export function parseQuery(query: string): Condition[] {
  if (query.length > MAX_QUERY_LENGTH) throw new QuerySyntaxError(query.slice(0, 50), "query too long");
  if (query.trim() === "") throw new QuerySyntaxError(query, "empty query");
  return splitTerms(query).map((term) => {
    const exists = term.match(/^(\S+)\s+EXISTS$/);
    if (exists) {
      if (!KEY.test(exists[1]!)) throw new QuerySyntaxError(query, `bad key "${exists[1]}"`);
      return { key: exists[1]!, op: "EXISTS", value: undefined };
    }
    const m = term.match(/^([^\s=<>]+)\s*(<=|>=|=|<|>|\sCONTAINS\s)\s*(.+)$/);
    if (!m) throw new QuerySyntaxError(query, `cannot read term "${term}"`);
    const key = m[1]!;
    if (!KEY.test(key)) throw new QuerySyntaxError(query, `bad key "${key}"`);
    const op = m[2]!.trim() as Operator;
    const operand = m[3]!.trim();
    let value: string | number;
    if (operand.startsWith("'")) {
      if (!operand.endsWith("'") || operand.length < 2) throw new QuerySyntaxError(query, `bad string ${operand}`);
      value = operand.slice(1, -1);
    } else if (/^-?\d+(\.\d+)?$/.test(operand)) {
      value = Number(operand);
    } else {
      throw new QuerySyntaxError(query, `operand ${operand} must be a 'string' or a number`);
    }
    if (op === "CONTAINS" && typeof value !== "string") throw new QuerySyntaxError(query, "CONTAINS needs a string");
    return { key, op, value };
  });
}

/** Whether one attribute value satisfies a condition (numbers compare numerically, as CometBFT does). */
export function valueMatches(cond: Condition, actual: string): boolean {
  switch (cond.op) {
    case "EXISTS":
      return true;
    case "CONTAINS":
      return actual.includes(cond.value as string);
    case "=":
      return typeof cond.value === "number" ? Number(actual) === cond.value : actual === cond.value;
    default: {
      const a = Number(actual);
      const b = Number(cond.value);
      if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
      if (cond.op === "<") return a < b;
      if (cond.op === "<=") return a <= b;
      if (cond.op === ">") return a > b;
      return a >= b;
    }
  }
}

/** Whether a set of composite-key attributes (`type.key` to values) satisfies every condition. */
export function matches(conditions: readonly Condition[], attributes: ReadonlyMap<string, readonly string[]>): boolean {
  return conditions.every((cond) => (attributes.get(cond.key) ?? []).some((v) => valueMatches(cond, v)));
}
