// `pocval slots`: the validation slot holders of a participant from a stake snapshot.
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { fromHex } from "../core/encoding.js";
import { DecodeError } from "../core/errors.js";
import { NoSlotHoldersError, slotAssignment, slotHolders } from "../core/slots.js";
import { CommandError, intFlag, printJson, requireString, UsageError } from "./args.js";
import { command, group } from "./command.js";

// A stake snapshot with addresses: [{address|validator, stake}] or {address: stake}; stakes integers or decimal strings.
const stakeValue = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]).transform((v) => BigInt(v));
const snapshotSchema = z.union([
  z.array(
    z
      .object({ address: z.string().min(1).optional(), validator: z.string().min(1).optional(), stake: stakeValue })
      .refine((v) => (v.address ?? v.validator) !== undefined, "each entry needs an address (or validator)"),
  ),
  z.record(z.string().min(1), stakeValue),
]);

async function loadSnapshot(file: string): Promise<{ validator: string; stake: bigint }[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    throw new UsageError(`--stakes ${file}: ${(err as Error).message}`, { cause: err });
  }
  const r = snapshotSchema.safeParse(parsed);
  if (!r.success) {
    throw new UsageError(
      `--stakes ${file}: expected [{address, stake}] or {address: stake}: ${r.error.issues[0]?.message}`,
    );
  }
  return Array.isArray(r.data)
    ? r.data.map((v) => ({ validator: (v.address ?? v.validator)!, stake: v.stake }))
    : Object.entries(r.data).map(([validator, stake]) => ({ validator, stake }));
}

/** `pocval slots`: the validation slot holders of a participant (docs/protocol.md, Version 2), as JSON. */
export default group("slots", {
  "": command({
    summary:
      "a participant's validation slot holders (docs/protocol.md, Version 2): prints {holders, slots_by_validator}",
    flags: {
      "stage-height": { type: "string", arg: "H", help: "the stage's height", required: true },
      "sampling-block-hash": {
        type: "string",
        arg: "HEX",
        help: "the sampling block's hash, 32 bytes in hex",
        required: true,
      },
      participant: { type: "string", arg: "ADDR", help: "the participant's address", required: true },
      stakes: {
        type: "string",
        arg: "FILE",
        help: "the stage's stake snapshot: [{address, stake}] or {address: stake}",
        required: true,
      },
      slots: { type: "string", arg: "M", help: "validation_slots (1..10000)", required: true },
    },
    async run(values) {
      const samplingBlockHash = requireString(values, "sampling-block-hash");
      try {
        fromHex(samplingBlockHash, "--sampling-block-hash", 32);
      } catch (err) {
        if (err instanceof DecodeError) throw new UsageError(err.message, { cause: err });
        throw err;
      }
      const stakes = await loadSnapshot(requireString(values, "stakes"));
      try {
        const input = {
          stageHeight: BigInt(intFlag(values, "stage-height", { min: 0 })),
          samplingBlockHash,
          participantAddress: requireString(values, "participant"),
          stakes,
          slots: intFlag(values, "slots", { min: 1, max: 10_000 }),
        };
        // holders[j] holds slot j (docs/cli.md); slots_by_validator counts them per validator.
        printJson({ holders: slotAssignment(input), slots_by_validator: slotHolders(input) });
      } catch (err) {
        if (err instanceof NoSlotHoldersError) throw new CommandError(err.message, { cause: err });
        throw err;
      }
    },
  }),
});
