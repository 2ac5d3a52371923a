// Error messages about files and variables that may hold a mnemonic must never repeat it. Two
// guards: parse errors are described by kind and place only (YAML and JSON parsers quote the
// input around the fault), and every message built from such input passes redactInput, which
// masks any two adjacent BIP-39 words that also stand next to each other in the input.
import { EnglishMnemonic } from "@cosmjs/crypto";
import { YAMLError } from "yaml";

const wordlist = new Set(EnglishMnemonic.wordlist);
const MASK = "***";

/** The BIP-39 words of text in order, lower case, with their offsets (any non-letter separates). */
function words(text: string): { word: string; start: number; end: number }[] {
  const out: { word: string; start: number; end: number }[] = [];
  for (const m of text.matchAll(/[A-Za-z]+/g)) {
    out.push({ word: m[0].toLowerCase(), start: m.index, end: m.index + m[0].length });
  }
  return out;
}

/** Every string in a value (keys and values, deeply): what a parsed config can echo. */
function stringsOf(value: unknown, out: string[] = [], depth = 0): string[] {
  if (depth > 64) return out;
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const v of value) stringsOf(v, out, depth + 1);
  else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      stringsOf(v, out, depth + 1);
    }
  }
  return out;
}

/**
 * Masks in message every word that, together with its neighbour, forms a pair of adjacent BIP-39
 * words also adjacent somewhere in input (texts, or any value whose strings are collected).
 * @example redactInput("bad: abandon ability able", ["abandon ability able about"]) // "bad: *** *** ***"
 */
export function redactInput(message: string, input: unknown): string {
  const pairs = new Set<string>();
  for (const text of stringsOf(input)) {
    const ws = words(text);
    for (let i = 1; i < ws.length; i++) {
      if (wordlist.has(ws[i - 1]!.word) && wordlist.has(ws[i]!.word)) pairs.add(`${ws[i - 1]!.word} ${ws[i]!.word}`);
    }
  }
  if (pairs.size === 0) return message;
  const ws = words(message);
  const masked = new Set<number>();
  for (let i = 1; i < ws.length; i++) {
    if (pairs.has(`${ws[i - 1]!.word} ${ws[i]!.word}`)) masked.add(i - 1).add(i);
  }
  if (masked.size === 0) return message;
  let out = "";
  let at = 0;
  for (const i of [...masked].sort((a, b) => a - b)) {
    out += message.slice(at, ws[i]!.start) + MASK;
    at = ws[i]!.end;
  }
  return out + message.slice(at);
}

/** Line and column (1-based) of a character offset. */
function place(text: string, offset: number): string {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const line = before.split("\n").length;
  return `line ${line}, column ${offset - before.lastIndexOf("\n")}`;
}

/**
 * A YAML or JSON parse error as "not valid FORMAT: what, at line L, column C", without the parser's
 * excerpt of the input (which would show whatever secret stands next to the fault).
 */
export function describeParseError(err: unknown, text: string, format: "YAML" | "JSON"): string {
  if (err instanceof YAMLError) {
    const what = err.code.toLowerCase().replaceAll("_", " ");
    const at = err.linePos?.[0];
    return `not valid ${format}: ${what}${at ? `, at line ${at.line}, column ${at.col}` : ""}`;
  }
  const message = err instanceof Error ? err.message : "";
  const position = message.match(/at position (\d+)/);
  if (position) return `not valid ${format}: syntax error at ${place(text, Number(position[1]))}`;
  if (/end of (JSON|data)/i.test(message)) return `not valid ${format}: it ends too early`;
  return `not valid ${format}: syntax error`;
}
