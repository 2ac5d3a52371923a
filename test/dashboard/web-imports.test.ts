// The dashboard page's modules (src/dashboard/web/src) import one another without a circle:
// shared pieces live below the pages that use them (load.tsx, tallies.tsx, format.ts, api.ts).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const WEB = new URL("../../src/dashboard/web/src/", import.meta.url).pathname;

/** Each module's relative imports, by file name: "./load.js" names load.tsx (or load.ts). */
function importGraph(): Map<string, string[]> {
  const files = readdirSync(WEB).filter((f) => /\.tsx?$/.test(f));
  const byStem = new Map(files.map((f) => [f.replace(/\.tsx?$/, ""), f]));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(join(WEB, file), "utf8");
    const targets = [...text.matchAll(/(?:from|import)\s*\(?\s*"\.\/([^"]+)\.js"/g)]
      .map((m) => byStem.get(m[1]!))
      .filter((f): f is string => f !== undefined);
    graph.set(file, targets);
  }
  return graph;
}

/** The first circle found, as the files along it, or undefined. */
function findCircle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (file: string): string[] | undefined => {
    if (state.get(file) === "done") return undefined;
    if (state.get(file) === "open") return [...path.slice(path.indexOf(file)), file];
    state.set(file, "open");
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      const circle = visit(next);
      if (circle) return circle;
    }
    path.pop();
    state.set(file, "done");
    return undefined;
  };
  for (const file of graph.keys()) {
    const circle = visit(file);
    if (circle) return circle;
  }
  return undefined;
}

describe("the dashboard page's imports", () => {
  it("the circle finder finds a circle of three", () => {
    const circle = findCircle(
      new Map([
        ["a", ["b"]],
        ["b", ["c"]],
        ["c", ["a"]],
      ]),
    );
    expect(circle).toEqual(["a", "b", "c", "a"]);
  });

  it("reads the page's modules and their imports", () => {
    const graph = importGraph();
    expect(graph.get("app.tsx")).toContain("stage.tsx");
    expect(graph.get("stage.tsx")).toContain("tallies.tsx");
  });

  it("form no circle", () => {
    expect(findCircle(importGraph())).toBeUndefined();
  });
});
