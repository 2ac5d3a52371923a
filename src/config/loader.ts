// The one config loader of the sidecar, the participant agent and the localnet scenario: read
// the file, parse it (a .json file as JSON, any other as YAML, which reads JSON too; an empty
// file is {}), apply the environment overrides, validate with the caller's zod schema. Every
// error is a ConfigError "<file>: <field>: <what>; ..." and never quotes a secret from the input.
import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { describeParseError, redactInput } from "../client/index.js";
import { PocvalError, zodIssueLines } from "../core/index.js";

/** A config that cannot be read, parsed or validated; names the file and every field at fault. */
export class ConfigError extends PocvalError {
  override name = "ConfigError";
  constructor(
    readonly source: string,
    readonly issues: string[],
  ) {
    super(`${source}: ${issues.join("; ")}`);
  }
}

/** An environment variable and the `section.field` of the config it sets. */
export interface EnvOverride {
  name: string;
  path: [section: string, field: string];
  /** int: a whole number is parsed (anything else is left for the schema to refuse); list: comma separated. */
  kind: "string" | "int" | "list";
}

export interface ConfigRules<S extends z.ZodType> {
  schema: S;
  /** Builds the caller's error class (a ConfigError) from the source and the issues. */
  error: (source: string, issues: string[]) => ConfigError;
  /** Environment overrides, applied after parsing and before validation. */
  env?: readonly EnvOverride[];
  /** Fields of one section of which the config holds one (key sources): one set from the environment replaces the file's. */
  exclusive?: { section: string; fields: readonly string[] };
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** The value an override's text stands for. */
function overrideValue(kind: EnvOverride["kind"], text: string): unknown {
  if (kind === "int") return /^-?\d+$/.test(text.trim()) ? Number(text.trim()) : text;
  if (kind === "list") {
    return text
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
  }
  return text;
}

/**
 * Applies the set (non-empty) environment variables to a raw config object; returns a new object.
 * A document that is not an object (a list, a number) is returned as it is, for the schema to refuse.
 */
export function applyEnvOverrides(
  raw: unknown,
  env: Record<string, string | undefined>,
  overrides: readonly EnvOverride[],
  exclusive?: ConfigRules<z.ZodType>["exclusive"],
): unknown {
  if (raw !== undefined && raw !== null && !isRecord(raw)) return raw;
  const out: Record<string, unknown> = isRecord(raw) ? structuredClone(raw) : {};
  for (const o of overrides) {
    const text = env[o.name];
    if (text === undefined || text === "") continue;
    const [section, field] = o.path;
    const target = isRecord(out[section]) ? (out[section] as Record<string, unknown>) : {};
    if (exclusive?.section === section && exclusive.fields.includes(field)) {
      for (const f of exclusive.fields) delete target[f];
    }
    target[field] = overrideValue(o.kind, text);
    out[section] = target;
  }
  return out;
}

/** Validates a raw config object; the error names each path (`backend.url: ...`), secrets redacted. */
export function parseConfig<S extends z.ZodType>(
  raw: unknown,
  source: string,
  rules: Pick<ConfigRules<S>, "schema" | "error">,
): z.output<S> {
  const parsed = rules.schema.safeParse(raw);
  if (!parsed.success) {
    // An issue may quote the input (a key name, a value): never a mnemonic pasted into it.
    throw rules.error(
      source,
      zodIssueLines(parsed.error).map((line) => redactInput(line, raw)),
    );
  }
  return parsed.data;
}

/** Reads, parses, applies the environment to and validates one config file. */
export async function loadConfigFile<S extends z.ZodType>(
  file: string,
  rules: ConfigRules<S>,
  env: Record<string, string | undefined> = process.env,
): Promise<z.output<S>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const { code, message } = err as NodeJS.ErrnoException;
    throw rules.error(file, [`cannot read the file: ${code ?? message}`]);
  }
  const format = file.endsWith(".json") ? "JSON" : "YAML";
  let raw: unknown;
  try {
    raw = format === "JSON" ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw rules.error(file, [describeParseError(err, text, format)]);
  }
  return parseConfig(applyEnvOverrides(raw ?? {}, env, rules.env ?? [], rules.exclusive), file, rules);
}
