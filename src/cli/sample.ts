import { DecodeError, fromHex, sampleIndices } from "../core/index.js";
import { intFlag, parseFlags, printJson, requireString, UsageError } from "./args.js";

/** `pocval sample`: the sampled leaf indices of docs/protocol.md, as one JSON object. */
export async function run(argv: string[]): Promise<void> {
  const { values } = parseFlags(argv, {
    "stage-height": { type: "string" },
    "sampling-block-hash": { type: "string" },
    validator: { type: "string" },
    participant: { type: "string" },
    count: { type: "string" },
    size: { type: "string" },
  });
  const samplingBlockHash = requireString(values, "sampling-block-hash");
  try {
    fromHex(samplingBlockHash, "--sampling-block-hash", 32);
  } catch (err) {
    if (err instanceof DecodeError) throw new UsageError(err.message);
    throw err;
  }
  const indices = sampleIndices({
    stageHeight: intFlag(values, "stage-height", { min: 0 }),
    samplingBlockHash,
    validatorAddress: requireString(values, "validator"),
    participantAddress: requireString(values, "participant"),
    count: intFlag(values, "count", { min: 1 }),
    sampleSize: intFlag(values, "size", { min: 1, max: 1_000_000 }),
  });
  printJson({ indices });
}
