// `pocval collect`: data collection from PoC backends into a data set directory.
import { readFile } from "node:fs/promises";
import type { CollectProgress } from "../analysis/index.js";
import { CommandError, requireString, UsageError } from "./args.js";
import { command, group } from "./command.js";

type Analysis = typeof import("../analysis/index.js");

async function readConfig({ collectConfigSchema }: Analysis, file: string) {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    throw new UsageError(`--config ${file}: ${(err as Error).message}`, { cause: err });
  }
  const parsed = collectConfigSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(`--config ${file}: ${issue.path.join(".") || "top level"}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * `pocval collect --config FILE --out DIR [--continue]`: vectors from every backend in the
 * real data collection tool's layout; `--continue` keeps the files that already hold artifacts.
 */
export default group("collect", {
  "": command({
    summary: "collects vectors from backends in the data collection tool's layout",
    flags: {
      config: {
        type: "string",
        arg: "FILE",
        help: "the data collection config of docs/protocol.md (`servers` maps names to backend URLs)",
        required: true,
      },
      out: { type: "string", arg: "DIR", help: "where the collected files go", required: true },
      continue: { type: "boolean", help: "keep the files that already hold artifacts" },
    },
    async run(values) {
      const configFile = requireString(values, "config");
      const outDir = requireString(values, "out");
      const analysis = await import("../analysis/index.js");
      const { CollectError, collect, serverFileName } = analysis;
      const config = await readConfig(analysis, configFile);
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
    },
  }),
});
