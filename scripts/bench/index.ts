// `npm run bench [--busy K] [name ...]`: runs every scripts/bench/*.bench.ts (or the named ones) in
// turn. Each benchmark prints its own figures as ratios against a baseline measured in the same run.
// `--busy K` keeps K extra processes spinning (one core each) for the whole run.
import { readdirSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseBusyFlag, startBusy } from "./busy.js";

const dir = fileURLToPath(new URL(".", import.meta.url));
const { busy, rest: wanted } = parseBusyFlag(process.argv.slice(2));
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => wanted.length === 0 || wanted.includes(f.replace(/\.bench\.ts$/, "")))
  .sort();
if (files.length === 0) {
  console.error(`no benchmark matches ${wanted.join(", ")}`);
  process.exit(2);
}
const load = startBusy(busy);
if (busy > 0) console.log(`${busy} busy process(es) spinning for the whole run`);
let failed = 0;
for (const file of files) {
  console.log(`\n== ${file.replace(/\.bench\.ts$/, "")}`);
  try {
    const mod = (await import(pathToFileURL(`${dir}/${file}`).href)) as { bench?: () => Promise<void> };
    if (typeof mod.bench !== "function") throw new Error(`${file} does not export bench()`);
    await mod.bench();
  } catch (err) {
    failed++;
    console.error(`${file} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }
}
await load.stop();
process.exit(failed > 0 ? 1 : 0);
