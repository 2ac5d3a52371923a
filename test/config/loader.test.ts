// The one config loader (src/config/loader.ts) and the three configs that use it: the same file,
// parse, environment and validation rules, and the same messages, for the sidecar, the
// participant agent and the localnet scenario.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { applyEnvOverrides, ConfigError, type ConfigRules, loadConfigFile } from "../../src/config/index.js";
import { loadScenario, ScenarioError } from "../../src/localnet/index.js";
import { loadParticipantConfig, ParticipantConfigError } from "../../src/participant/index.js";
import { loadSidecarConfig, SidecarConfigError } from "../../src/sidecar/index.js";

const dir = mkdtempSync(join(tmpdir(), "pocval-config-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

class TestConfigError extends ConfigError {}
const rules: ConfigRules<z.ZodType<{ a: { n: number; list: string[] }; key: { file?: string; env?: string } }>> = {
  schema: z.strictObject({
    a: z.strictObject({ n: z.number().int().default(1), list: z.array(z.string()).default([]) }).prefault({}),
    key: z.strictObject({ file: z.string().optional(), env: z.string().optional() }).prefault({}),
  }),
  error: (source, issues) => new TestConfigError(source, issues),
  env: [
    { name: "T_N", path: ["a", "n"], kind: "int" },
    { name: "T_LIST", path: ["a", "list"], kind: "list" },
    { name: "T_KEY_ENV", path: ["key", "env"], kind: "string" },
  ],
  exclusive: { section: "key", fields: ["file", "env"] },
};

describe("loadConfigFile", () => {
  it("reads YAML, and .json as JSON; an empty file is {} with every default", async () => {
    expect(await loadConfigFile(file("a.yaml", "a:\n  n: 5\n"), rules, {})).toEqual({
      a: { n: 5, list: [] },
      key: {},
    });
    expect(await loadConfigFile(file("a.json", '{"a": {"n": 6}}'), rules, {})).toMatchObject({ a: { n: 6 } });
    expect(await loadConfigFile(file("empty.yaml", ""), rules, {})).toEqual({ a: { n: 1, list: [] }, key: {} });
  });

  it("names the file and the fault: unreadable, not YAML, not JSON, a field that does not validate", async () => {
    const fails = async (path: string, message: RegExp) => {
      const err = await loadConfigFile(path, rules, {}).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TestConfigError);
      expect((err as Error).message).toMatch(message);
    };
    await fails(join(dir, "absent.yaml"), /absent\.yaml: cannot read the file: ENOENT$/);
    await fails(file("bad.yaml", "a: [\n"), /bad\.yaml: not valid YAML: .*at line \d+, column \d+/);
    await fails(file("bad.json", "{"), /bad\.json: not valid JSON: syntax error at line 1, column \d+/);
    await fails(file("wrong.yaml", "a:\n  n: 1.5\n  extra: 1\n"), /wrong\.yaml: a\.n: .*; a: .*extra/);
  });

  it("applies the environment after the file: numbers parsed, lists split, a key source replaces the file's", async () => {
    const path = file("env.yaml", "a:\n  n: 5\nkey:\n  file: k.json\n");
    expect(await loadConfigFile(path, rules, { T_N: " 7 ", T_LIST: "x, y,,z", T_KEY_ENV: "MNEMONIC" })).toEqual({
      a: { n: 7, list: ["x", "y", "z"] },
      key: { env: "MNEMONIC" },
    });
    // An empty variable is unset; a number that is not whole is left for the schema to refuse.
    expect(await loadConfigFile(path, rules, { T_N: "" })).toMatchObject({ a: { n: 5 } });
    await expect(loadConfigFile(path, rules, { T_N: "7x" })).rejects.toThrow(/env\.yaml: a\.n: /);
  });

  it("never changes the object it is given", () => {
    const raw = { a: { n: 1 } };
    applyEnvOverrides(raw, { T_N: "2" }, rules.env!);
    expect(raw).toEqual({ a: { n: 1 } });
  });

  it("never quotes a mnemonic from the input in a message", async () => {
    const words = "abandon ability able about above absent absorb abstract absurd abuse access accident";
    const path = file("secret.yaml", `key:\n  "${words}": 1\n`);
    const err = (await loadConfigFile(path, rules, {}).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/secret\.yaml: key: /);
    expect(err.message).not.toMatch(/abandon ability/);
  });
});

describe("the three configs read files by the same rules", () => {
  const loaders: [string, (path: string) => Promise<unknown>, new (...args: never[]) => ConfigError][] = [
    ["sidecar", (p) => loadSidecarConfig(p, {}), SidecarConfigError],
    ["participant", (p) => loadParticipantConfig(p, {}), ParticipantConfigError],
    ["scenario", (p) => loadScenario(p), ScenarioError],
  ];

  it.each(loaders)(
    "%s: the same messages for an unreadable file, bad JSON and bad YAML",
    async (_, load, ErrorClass) => {
      const cases: [string, RegExp][] = [
        [join(dir, "missing.json"), /^.*missing\.json: cannot read the file: ENOENT$/],
        [file("broken.json", '{"a": '), /^.*broken\.json: not valid JSON: it ends too early$/],
        [file("broken.yaml", "a: [\n"), /^.*broken\.yaml: not valid YAML: /],
        [file("list.yaml", "- 1\n"), /^.*list\.yaml: \(root\): /],
      ];
      for (const [path, message] of cases) {
        const err = await load(path).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ErrorClass);
        expect(err).toBeInstanceOf(ConfigError);
        expect((err as Error).message).toMatch(message);
      }
    },
  );
});
