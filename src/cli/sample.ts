// `pocval sample`: a validator's sampled leaf indices, re-derived from public inputs.
import { fromHex } from "../core/encoding.js";
import { DecodeError } from "../core/errors.js";
import { sampleIndices } from "../core/sampling.js";
import { intFlag, printJson, requireString, UsageError } from "./args.js";
import { command, group } from "./command.js";

/** `pocval sample`: the sampled leaf indices of docs/protocol.md, as one JSON object. */
export default group("sample", {
  "": command({
    summary: "a validator's sampled leaf indices (docs/protocol.md): prints {indices}",
    flags: {
      "stage-height": { type: "string", arg: "H", help: "the stage's height", required: true },
      "sampling-block-hash": {
        type: "string",
        arg: "HEX",
        help: "the sampling block's hash, 32 bytes in hex",
        required: true,
      },
      validator: { type: "string", arg: "ADDR", help: "the sampling validator's address", required: true },
      participant: { type: "string", arg: "ADDR", help: "the sampled participant's address", required: true },
      count: { type: "string", arg: "N", help: "the participant's committed leaf count", required: true },
      size: { type: "string", arg: "S", help: "how many indices to draw (1..1000000)", required: true },
    },
    run(values) {
      const samplingBlockHash = requireString(values, "sampling-block-hash");
      try {
        fromHex(samplingBlockHash, "--sampling-block-hash", 32);
      } catch (err) {
        if (err instanceof DecodeError) throw new UsageError(err.message, { cause: err });
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
    },
  }),
});
