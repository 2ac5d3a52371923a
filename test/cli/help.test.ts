import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type Group, groupHelp, runGroup } from "../../src/cli/command.js";
import { groups } from "../../src/cli/groups.js";
import { runCli } from "./helpers.js";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };

/** Captures what fn writes on stdout (the help printers write there). */
async function stdoutOf(fn: () => Promise<void>): Promise<string> {
  const chunks: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    await fn();
  } finally {
    process.stdout.write = write;
  }
  return chunks.join("");
}

describe("pocval --help and --version", () => {
  it("prints every command's flags for `<group> --help` and `<group> <cmd> --help`, in every group", async () => {
    const loaded: Group[] = [];
    for (const [name, entry] of Object.entries(groups)) {
      const g = (await entry.load()).default;
      expect(g.name).toBe(name);
      loaded.push(g);
    }
    for (const g of loaded) {
      const groupText = await stdoutOf(() => runGroup(g, ["--help"]));
      expect(groupText).toBe(groupHelp(g));
      for (const [sub, c] of Object.entries(g.commands)) {
        const args = sub === "" ? ["--help"] : [sub, "--help"];
        const text = await stdoutOf(() => runGroup(g, args));
        expect(text, `${g.name} ${sub}`).toMatch(new RegExp(`^usage: pocval ${g.name}${sub ? ` ${sub}` : ""}`));
        for (const [flag, def] of Object.entries(c.flags)) {
          expect(text, `${g.name} ${sub} --${flag}`).toContain(`--${flag}`);
          expect(text).toContain(def.help);
          // Required flags show bare in the usage line, optional ones in brackets.
          const usageLine = text.split("\n")[0]!;
          expect(usageLine.includes(`[--${flag}`)).toBe(def.required !== true);
        }
        // The group's help names each of its commands with its usage line.
        expect(groupText).toContain(text.split("\n")[0]!.replace(/^usage: /, ""));
      }
    }
    // Loading every command group from source takes a while on a busy machine; nothing here is about time.
  }, 180_000);

  it("answers --help, -h and `help <group>` with exit 0 through the installed command", () => {
    const group = runCli(["stats", "--help"]);
    expect(group.status).toBe(0);
    expect(group.stdout).toContain("pocval stats binom --k K --n N --p P");
    expect(group.stdout).toContain("pocval stats power --n N --fp-rate P0 --alpha A --rate P1");
    const cmd = runCli(["stats", "binom", "-h"]);
    expect(cmd.status).toBe(0);
    expect(cmd.stdout).toMatch(/^usage: pocval stats binom --k K --n N --p P\n/);
    expect(cmd.stdout).toMatch(/--p P\s+mismatch probability under the null/);
    const viaHelp = runCli(["help", "merkle", "verify"]);
    expect(viaHelp.status).toBe(0);
    expect(viaHelp.stdout).toMatch(/^usage: pocval merkle verify --root-hash B64 --count N --proof FILE \[--k-dim K\]/);
    const top = runCli(["--help"]);
    expect(top.status).toBe(0);
    for (const name of Object.keys(groups)) expect(top.stdout).toContain(`  ${name} `);
  }, 120_000);

  it("prints the package's version", () => {
    const r = runCli(["--version"]);
    expect(r).toMatchObject({ status: 0, stdout: `${pkg.version}\n` });
  });

  it("exits 2 with the group named once for a missing or unknown command", () => {
    const none = runCli(["merkle"]);
    expect(none.status).toBe(2);
    expect(none.stderr).toMatch(/^pocval merkle: expected a command\nusage: pocval merkle root/);
    const unknown = runCli(["stats", "binomial"]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/^pocval stats: expected "binom" or "power", got "binomial"\n/);
    expect(unknown.stderr.match(/stats/g)?.length).toBe(1 + 2); // the prefix, then the two usage lines
    const group = runCli(["bogus"]);
    expect(group.status).toBe(2);
    expect(group.stderr).toMatch(/^pocval: unknown command "bogus"/);
  });

  it("parses `--n -5` as the number -5 and refuses it by the flag's range (exit 2)", () => {
    const r = runCli(["stats", "binom", "--k", "0", "--n", "-5", "--p", "0.1"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("pocval stats: --n must be >= 0, got -5\n");
    const p = runCli(["stats", "binom", "--k", "0", "--n", "5", "--p", "-0.5"]);
    expect(p.stderr).toBe("pocval stats: --p must be >= 0, got -0.5\n");
  });

  it("exits 2 for an unreadable or malformed input file, naming it", () => {
    const missing = runCli([
      "merkle",
      "verify",
      "--root-hash",
      `${"A".repeat(43)}=`,
      "--count",
      "1",
      "--proof",
      "/nonexistent/p.json",
    ]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^pocval merkle: cannot read proof file \/nonexistent\/p\.json/);
    const scenario = runCli(["localnet", "run", "--scenario", "/nonexistent/s.json"]);
    expect(scenario.status).toBe(2);
    expect(scenario.stderr).toMatch(/^pocval localnet: --scenario: .*\/nonexistent\/s\.json/);
  });
});
