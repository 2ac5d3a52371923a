// docs/cli.md's command table against the commands themselves (the flags `--help` prints come
// from the same declarations): every command and every flag is documented, no command twice.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { groups } from "../../src/cli/groups.js";

const doc = readFileSync(new URL("../../docs/cli.md", import.meta.url), "utf8");
/** The first cell of each command row: "pocval calibrate --data DIR ...". */
const rows = [...doc.matchAll(/^\| `(pocval [^`]+)`/gm)].map((m) => m[1]!);

/** The rows of one command: `pocval <group> <name>`, or `pocval <group> <a, b, ...>` listing it. */
function rowsOf(group: string, name: string): string[] {
  return rows.filter((r) => {
    if (name === "") return r.startsWith(`pocval ${group} `) || r === `pocval ${group}`;
    const rest = r.slice(`pocval ${group} `.length);
    if (!r.startsWith(`pocval ${group} `)) return false;
    if (rest.startsWith(`${name} `) || rest === name) return true;
    const listed = rest.match(/^<([^>]+)>/);
    return listed !== null && listed[1]!.split(/,\s*/).includes(name);
  });
}

describe("docs/cli.md", () => {
  it("lists no command row twice", () => {
    const firstWords = rows.map((r) => r.split(" --")[0]);
    expect(firstWords.filter((w, i) => firstWords.indexOf(w) !== i)).toEqual([]);
  });

  it("documents every command with every flag it takes", async () => {
    const missing: string[] = [];
    for (const [name, entry] of Object.entries(groups)) {
      const { default: group } = await entry.load();
      for (const [sub, command] of Object.entries(group.commands)) {
        const own = rowsOf(name, sub);
        if (own.length === 0) {
          missing.push(`pocval ${name} ${sub}`.trim());
          continue;
        }
        for (const flag of Object.keys(command.flags)) {
          if (!own.some((r) => r.includes(`--${flag}`) || (flag === "json" && r.includes("(JSON)")))) {
            missing.push(`pocval ${name} ${sub} --${flag}`.replace("  ", " "));
          }
        }
      }
    }
    expect(missing).toEqual([]);
  });
});
