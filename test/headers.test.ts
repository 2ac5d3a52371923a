// Every hand-written source file opens with a comment saying what it is for, before its imports
// (STYLE.md). Generated code (src/gen, src/evm/artifacts) is exempt.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const SRC = new URL("../src/", import.meta.url).pathname;
const GENERATED = ["gen/", "evm/artifacts/"];

function handWritten(): string[] {
  return readdirSync(SRC, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name) && !e.name.endsWith(".d.ts"))
    .map((e) => relative(SRC, join(e.parentPath, e.name)))
    .filter((path) => !GENERATED.some((g) => path.startsWith(g)))
    .sort();
}

/** True when the first token of the text (after a #! line and white space) is a comment. */
function opensWithComment(text: string, tsx: boolean): boolean {
  const scanner = ts.createScanner(
    ts.ScriptTarget.Latest,
    false,
    tsx ? ts.LanguageVariant.JSX : ts.LanguageVariant.Standard,
    text,
  );
  for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    if (kind === ts.SyntaxKind.SingleLineCommentTrivia || kind === ts.SyntaxKind.MultiLineCommentTrivia) return true;
    if (
      kind !== ts.SyntaxKind.WhitespaceTrivia &&
      kind !== ts.SyntaxKind.NewLineTrivia &&
      kind !== ts.SyntaxKind.ShebangTrivia
    ) {
      return false;
    }
  }
  return false;
}

describe("opening comments", () => {
  it("the check tells a header before the imports from one after them", () => {
    expect(opensWithComment("// What this file is for.\nimport { a } from './a.js';\n", false)).toBe(true);
    expect(opensWithComment("#!/usr/bin/env node\n\n/* For. */\nexport {};\n", false)).toBe(true);
    expect(opensWithComment("import { a } from './a.js';\n// What this file is for.\n", false)).toBe(false);
    expect(opensWithComment("export const x = 1;\n", false)).toBe(false);
    expect(opensWithComment("", false)).toBe(false);
  });

  it("finds the hand-written files and leaves generated code out", () => {
    const files = handWritten();
    expect(files.length).toBeGreaterThan(150);
    expect(files).toContain("core/tally.ts");
    expect(files).toContain("dashboard/web/src/app.tsx");
    expect(files.filter((f) => f.startsWith("gen/") || f.startsWith("evm/artifacts/"))).toEqual([]);
  });

  it("every hand-written file under src/ opens with a comment before its imports", () => {
    const missing = handWritten().filter((f) => !opensWithComment(readFileSync(join(SRC, f), "utf8"), f.endsWith("x")));
    expect(missing).toEqual([]);
  });
});
