// docs/architecture.md's dependency rules and the one size rule, checked on the source with
// TypeScript's own parser: dependencies point down (core <- chain <- app <- node, abci), a folder
// is entered through its index.ts, and no function runs over 100 lines.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const SRC = new URL("../src/", import.meta.url).pathname;

/** Generated code: exempt from the size rule, and imported by its files (it has no index.ts). */
const GENERATED = ["gen/", "evm/artifacts/"];
const isGenerated = (path: string) => GENERATED.some((g) => path.startsWith(g));

interface Source {
  /** Path under src/, e.g. "node/node.ts". */
  path: string;
  file: ts.SourceFile;
}

const sources: Source[] = readdirSync(SRC, { withFileTypes: true, recursive: true })
  .filter((e) => e.isFile() && /\.tsx?$/.test(e.name) && !e.name.endsWith(".d.ts"))
  .map((e) => {
    const full = join(e.parentPath, e.name);
    const kind = e.name.endsWith(".tsx") ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
    return {
      path: relative(SRC, full),
      file: ts.createSourceFile(full, readFileSync(full, "utf8"), ts.ScriptTarget.Latest, true, kind),
    };
  });

const inFolder = (folder: string) => sources.filter((s) => s.path.startsWith(`${folder}/`));

/** Every module a file names: import and export declarations, `import("...")` calls and `import("...")` types. */
function specifiersOf(file: ts.SourceFile): string[] {
  const out: string[] = [];
  const visit = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      if (ts.isStringLiteral(node.moduleSpecifier)) out.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg && ts.isStringLiteralLike(arg)) out.push(arg.text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      const literal = node.argument.literal;
      if (ts.isStringLiteral(literal)) out.push(literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return out;
}

/** Every relative import of a source, as a path under src/ ("chain/index.js"). */
function importsOf(s: Source): string[] {
  return specifiersOf(s.file)
    .filter((spec) => spec.startsWith("./") || spec.startsWith("../"))
    .map((spec) => relative(SRC, join(SRC, s.path, "..", spec)));
}

const folderOf = (path: string) => path.split("/")[0]!;

/** "<file> -> <import>" for each import of the sources that breaks the rule. */
const breaking = (of: Source[], allowed: (imported: string, from: Source) => boolean): string[] =>
  of.flatMap((s) =>
    importsOf(s)
      .filter((i) => !allowed(i, s))
      .map((i) => `${s.path} -> ${i}`),
  );

describe("dependencies", () => {
  it("reads .tsx files and import() calls", () => {
    // The dashboard page is .tsx, and cli loads its groups with import(): both must be seen.
    expect(sources.some((s) => s.path.endsWith(".tsx"))).toBe(true);
    const main = sources.find((s) => s.path === "cli/groups.ts")!;
    expect(importsOf(main)).toContain("cli/node.js");
  });

  it.each([
    ["core", ["core", "gen"]],
    ["chain", ["core", "chain", "gen"]],
    ["app", ["core", "chain", "gen", "app"]],
  ])("%s imports only from %j", (folder, allowed) => {
    expect(breaking(inFolder(folder), (i) => allowed.includes(folderOf(i)))).toEqual([]);
  });

  it("node and abci, the app's two drivers, never import each other", () => {
    expect(breaking(inFolder("node"), (i) => folderOf(i) !== "abci")).toEqual([]);
    expect(breaking(inFolder("abci"), (i) => folderOf(i) !== "node")).toEqual([]);
  });

  it("other folders are imported through their index.ts (generated code has none)", () => {
    const beside = breaking(
      sources.filter((s) => folderOf(s.path) !== "cli"),
      (i, s) => folderOf(i) === folderOf(s.path) || isGenerated(i) || i.endsWith("/index.js"),
    );
    expect(beside).toEqual([]);
  });

  it("cli imports only core's files and the other folders' index.ts, so a command loads what it needs", () => {
    const outside = breaking(
      inFolder("cli"),
      (i) => ["cli", "core"].includes(folderOf(i)) || isGenerated(i) || /^[a-z-]+\/index\.js$/.test(i),
    );
    expect(outside).toEqual([]);
  });

  it("chain imports nothing from client", () => {
    expect(breaking(inFolder("chain"), (i) => folderOf(i) !== "client")).toEqual([]);
  });
});

describe("errors", () => {
  // Every error class extends PocvalError (core/errors.ts): a rule of docs/architecture.md, kept
  // by review while several people add code at once (a test here would turn main red for them).
  it("errors are told apart with instanceof, not by their name", () => {
    const byName = sources.filter((s) => /\.name (===|!==) "[A-Za-z]*Error"/.test(s.file.text)).map((s) => s.path);
    expect(byName).toEqual([]);
  });
});

const MAX_LINES = 100;

type FunctionNode = ts.FunctionDeclaration | ts.FunctionExpression | ts.ArrowFunction | ts.MethodDeclaration;
const isFunction = (n: ts.Node): n is FunctionNode =>
  ts.isFunctionDeclaration(n) || ts.isFunctionExpression(n) || ts.isArrowFunction(n) || ts.isMethodDeclaration(n);

/** A function's name, or the variable or property it is assigned to. */
function nameOf(n: FunctionNode): string {
  if (n.name) return n.name.getText();
  const parent = n.parent;
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) && parent.name) {
    return parent.name.getText();
  }
  return "(anonymous)";
}

/** Functions over MAX_LINES (first line to last), generated code aside, as "<file> <name>" with their length. */
function longFunctions(): { key: string; lines: number }[] {
  const out: { key: string; lines: number }[] = [];
  for (const s of sources.filter((s) => !isGenerated(s.path))) {
    const visit = (n: ts.Node) => {
      if (isFunction(n)) {
        const first = s.file.getLineAndCharacterOfPosition(n.getStart()).line;
        const last = s.file.getLineAndCharacterOfPosition(n.getEnd()).line;
        if (last - first + 1 > MAX_LINES) out.push({ key: `${s.path} ${nameOf(n)}`, lines: last - first + 1 });
      }
      ts.forEachChild(n, visit);
    };
    visit(s.file);
  }
  return out.sort((a, b) => b.lines - a.lines);
}

describe("size", () => {
  it(`no function runs over ${MAX_LINES} lines (a factory wires named functions)`, () => {
    const long = longFunctions();
    console.log(
      `${long.length} functions over ${MAX_LINES} lines in ${sources.filter((s) => !isGenerated(s.path)).length} files:\n${long.map((l) => `  ${l.lines}\t${l.key}`).join("\n")}`,
    );
    expect(long.map((l) => `${l.key} has ${l.lines} lines: split it along its jobs`)).toEqual([]);
  });
});
