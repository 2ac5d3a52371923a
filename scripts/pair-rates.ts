// Writes localnet/pair-rates.json: the honest mismatch rate of every pair of reference profiles
// the scenarios use, measured from the profiles (src/analysis/pair-rates.ts). Run: npx tsx scripts/pair-rates.ts
import { writeFileSync } from "node:fs";
import { measurePairRates, PAIR_MACHINE_IDS, type PairRateTable } from "../src/analysis/pair-rates.js";
import { DEFAULT_PARAMS } from "../src/core/index.js";

/** The profiles of localnet/scenarios/*.json. */
export const SCENARIO_PROFILES = ["a100-fp8", "b200-fp8", "h100-fp8", "h200-fp8", "h100-int4", "int4"];

const setup = {
  threshold: DEFAULT_PARAMS.distThreshold,
  nonces: 10000,
  blockHash: "5e".repeat(32),
  publicKey: "pair-rates",
  model: DEFAULT_PARAMS.model,
  seqLen: DEFAULT_PARAMS.seqLen,
  kDim: DEFAULT_PARAMS.kDim,
};
const table: PairRateTable = {
  description:
    "Honest mismatch rate per pair of reference profiles on two distinct machines (machineIds), at threshold, " +
    "over nonces 0..nonces-1 of one seed: the reference backend's vectors after the f16 round trip (what pocval " +
    "collect receives), L2 per nonce, mismatches strictly above the threshold. Same profile and same machine id: 0 " +
    "(bit-identical). Written by scripts/pair-rates.ts; test/analysis/pair-rates.test.ts re-measures it.",
  ...setup,
  machineIds: [...PAIR_MACHINE_IDS],
  rates: measurePairRates(setup, SCENARIO_PROFILES),
};
writeFileSync(new URL("../localnet/pair-rates.json", import.meta.url), `${JSON.stringify(table, null, 2)}\n`);
