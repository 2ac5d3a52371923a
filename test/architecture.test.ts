// docs/architecture.md's dependency rules, checked on the source: dependencies point down
// (core <- chain <- client).
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = new URL("../src/", import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => join(e.parentPath, e.name));
}

/** Every relative import of a file, as "<folder>/<file>" under src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/from "(\.{1,2}\/[^"]+)"/g)) {
    out.push(relative(SRC, join(file, "..", m[1]!)));
  }
  return out;
}

const folderOf = (path: string) => path.split("/")[0]!;

describe("dependencies", () => {
  it.each([
    ["core", ["core", "gen"]],
    ["chain", ["core", "chain", "gen"]],
  ])("%s imports only from %j", (folder, allowed) => {
    const outside = sources(join(SRC, folder)).flatMap((f) =>
      importsOf(f)
        .filter((i) => !allowed.includes(folderOf(i)))
        .map((i) => `${relative(SRC, f)} -> ${i}`),
    );
    expect(outside).toEqual([]);
  });

  it("other folders are imported through their index.ts (cli, loaded lazily, may name core's files)", () => {
    const beside = sources(SRC)
      .filter((f) => !relative(SRC, f).startsWith("cli/"))
      .flatMap((f) =>
        importsOf(f)
          .filter((i) => folderOf(i) !== folderOf(relative(SRC, f)) && folderOf(i) !== "gen")
          .filter((i) => !i.endsWith("/index.js"))
          .map((i) => `${relative(SRC, f)} -> ${i}`),
      );
    expect(beside).toEqual([]);
  });

  it("chain imports nothing from client", () => {
    const hits = sources(join(SRC, "chain")).filter((f) => importsOf(f).some((i) => folderOf(i) === "client"));
    expect(hits).toEqual([]);
  });
});

describe("errors", () => {
  // Every error class extends PocvalError (core/errors.ts): a rule of docs/architecture.md, kept
  // by review while several people add code at once (a test here would turn main red for them).
  it("errors are told apart with instanceof, not by their name", () => {
    const byName = sources(SRC)
      .filter((f) => /\.name (===|!==) "[A-Za-z]*Error"/.test(readFileSync(f, "utf8")))
      .map((f) => relative(SRC, f));
    expect(byName).toEqual([]);
  });
});
