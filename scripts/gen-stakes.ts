// Writes the stake presets under localnet/stakes/ deterministically (no randomness):
//   npx tsx scripts/gen-stakes.ts && npx biome check --write localnet/stakes
// 377-heavy-tailed.json: Pareto quantiles with tail index 1.35, chosen so that the network
// simulation lands near the report's figures for its 377 real weights (honest median share
// 4.1%, 4%-rate target convicted in about 73.6% of rounds).
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { paretoStakes } from "../src/analysis/stakes.js";

const TOTAL = 1_000_000;

const dir = fileURLToPath(new URL("../localnet/stakes/", import.meta.url));
const presets: Record<string, number[]> = {
  "default-6.json": [35, 25, 15, 10, 10, 5].map((percent) => (percent * TOTAL) / 100),
  "377-heavy-tailed.json": paretoStakes(377, 1.35, TOTAL),
};
for (const [name, stakes] of Object.entries(presets)) {
  writeFileSync(`${dir}${name}`, `${JSON.stringify(stakes)}\n`);
  process.stdout.write(`${name}: ${stakes.length} validators, total ${stakes.reduce((a, b) => a + b, 0)}\n`);
}
