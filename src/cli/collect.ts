import { readFile } from "node:fs/promises";
import { CollectError, type CollectProgress, collect, collectConfigSchema, serverFileName } from "../analysis/index.js";
import { CommandError, parseFlags, requireString } from "./args.js";

async function readConfig(file: string) {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    throw new CommandError(`--config ${file}: ${(err as Error).message}`, { cause: err });
  }
  const parsed = collectConfigSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CommandError(`--config ${file}: ${issue.path.join(".") || "top level"}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * `pocval collect --config FILE --out DIR [--continue]`: vectors from every backend in the
 * real data collection tool's layout; `--continue` keeps the files that already hold artifacts.
 */
export async function run(argv: string[]): Promise<void> {
  const { values } = parseFlags(argv, {
    config: { type: "string" },
    out: { type: "string" },
    continue: { type: "boolean" },
  });
  const configFile = requireString(values, "config");
  const outDir = requireString(values, "out");
  const config = await readConfig(configFile);
  const start = Date.now();
  let lastLine = 0;
  const onProgress = (p: CollectProgress): void => {
    // One line per batch when slow, at most a few per second when fast.
    const now = Date.now();
    if (p.done < p.total && now - lastLine < 250) return;
    lastLine = now;
    const pct = ((p.done / p.total) * 100).toFixed(0).padStart(3);
    process.stderr.write(
      `collect: ${p.server}${p.file === serverFileName(p.server) ? "" : ` [${p.file}]`} ${p.done}/${p.total} nonces (${pct}%), ${((now - start) / 1000).toFixed(1)} s\n`,
    );
  };
  try {
    const onSkip = (file: string): void => {
      process.stderr.write(`collect: ${file} holds artifacts already; kept (--continue)\n`);
    };
    const written = await collect({ config, outDir, onProgress, resume: values.continue === true, onSkip });
    process.stdout.write(`wrote ${written.length} files to ${outDir}\n`);
  } catch (err) {
    if (err instanceof CollectError) throw new CommandError(err.message, { cause: err });
    throw err;
  }
}
