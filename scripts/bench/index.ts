// `npm run bench [name ...]`: runs every scripts/bench/*.bench.ts (or the named ones) in turn.
// Each benchmark prints its own figures as ratios against a baseline measured in the same run.
import { readdirSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

const dir = fileURLToPath(new URL(".", import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => wanted.length === 0 || wanted.includes(f.replace(/\.bench\.ts$/, "")))
  .sort();
if (files.length === 0) {
  console.error(`no benchmark matches ${wanted.join(", ")}`);
  process.exit(2);
}
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
process.exit(failed > 0 ? 1 : 0);
