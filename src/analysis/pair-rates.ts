// The honest mismatch rate of every pair of reference profiles at a threshold, measured the way
// `pocval collect` + `pocval calibrate` see it (the reference backend's vectors after the f16
// round trip, L2 per shared nonce, mismatches strictly above the threshold); and the table of
// those rates kept in localnet/pair-rates.json.
import { readFileSync } from "node:fs";
import { z } from "zod";
import { vectorSource } from "../backend/index.js";
import { countMismatches, decodeVector, encodeVector, PocvalError } from "../core/index.js";
import { pairDistances } from "./calibrate.js";

/** What a measurement runs over: the inputs every vector shares, the threshold and the nonces 0..nonces-1. */
export interface PairRateSetup {
  threshold: string;
  nonces: number;
  blockHash: string;
  publicKey: string;
  model: string;
  seqLen: number;
  kDim: number;
}

/** One unordered pair of profiles on two distinct machines. */
export interface PairRateEntry {
  a: string;
  b: string;
  mismatches: number;
  /** mismatches / nonces. */
  rate: number;
}

const entrySchema = z.strictObject({
  a: z.string().min(1),
  b: z.string().min(1),
  mismatches: z.number().int().min(0),
  rate: z.number().min(0).max(1),
});

const tableSchema = z.strictObject({
  description: z.string(),
  threshold: z.string().regex(/^\d+(\.\d+)?$/),
  nonces: z.number().int().min(1),
  blockHash: z.string().min(1),
  publicKey: z.string().min(1),
  model: z.string().min(1),
  seqLen: z.number().int().min(1),
  kDim: z.number().int().min(1),
  /** Machine ids the two sides ran with (distinct: the same machine id of one profile is bit-identical, rate 0). */
  machineIds: z.tuple([z.string().min(1), z.string().min(1)]),
  rates: z.array(entrySchema).min(1),
});

/** The kept table: how it was measured and one entry per unordered pair of profiles. */
export type PairRateTable = z.infer<typeof tableSchema>;

/** Machine ids of the two sides of every measured pair. */
export const PAIR_MACHINE_IDS: readonly [string, string] = ["machine-a", "machine-b"];

/** The vectors one profile's machine answers for nonces 0..n-1, as `pocval collect` receives them (f16). */
function collectedVectors(setup: PairRateSetup, profile: string, machineId: string): Map<number, Float64Array> {
  const vectorOf = vectorSource({ ...setup, profile, machineId });
  const out = new Map<number, Float64Array>();
  for (let nonce = 0; nonce < setup.nonces; nonce++) {
    out.set(nonce, decodeVector(encodeVector(vectorOf(nonce)), setup.kDim));
  }
  return out;
}

/**
 * Measures every unordered pair of `profiles` (each profile with itself too) on two distinct
 * machines: the share of nonces whose L2 distance is strictly above the threshold (calibrate's
 * pairDistances and the chain's countMismatches). Deterministic: the same setup gives the same table.
 */
export function measurePairRates(setup: PairRateSetup, profiles: readonly string[]): PairRateEntry[] {
  const sorted = [...new Set(profiles)].sort();
  const [idA, idB] = PAIR_MACHINE_IDS;
  const cache = new Map<string, Map<number, Float64Array>>();
  const vectors = (profile: string, id: string) => {
    const key = `${profile}\u0000${id}`;
    if (!cache.has(key)) cache.set(key, collectedVectors(setup, profile, id));
    return cache.get(key)!;
  };
  const threshold = Number(setup.threshold);
  const entries: PairRateEntry[] = [];
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i; j < sorted.length; j++) {
      const d = pairDistances(vectors(sorted[i]!, idA), vectors(sorted[j]!, idB));
      const mismatches = countMismatches(Array.from(d), threshold);
      entries.push({ a: sorted[i]!, b: sorted[j]!, mismatches, rate: mismatches / setup.nonces });
    }
  }
  return entries;
}

/** Parses a kept table, naming the field that is wrong. */
export function parsePairRateTable(value: unknown, file = "pair-rates.json"): PairRateTable {
  const r = tableSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new PocvalError(`${file}: ${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  return r.data;
}

/** Reads and parses a kept table. */
export function loadPairRateTable(file: string): PairRateTable {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new PocvalError(`${file}: cannot read the pair-rate table: ${(e as Error).message}`, { cause: e });
  }
  return parsePairRateTable(value, file);
}

/** The table's rate of two profiles on distinct machines; undefined when the pair is not in it. */
export function tablePairRate(table: PairRateTable, a: string, b: string): number | undefined {
  return table.rates.find((r) => (r.a === a && r.b === b) || (r.a === b && r.b === a))?.rate;
}
