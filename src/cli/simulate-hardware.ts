// `pocval simulate network` with validators on different hardware (per-pair mismatch rates).
import { readFile } from "node:fs/promises";
import {
  CalibrationFileError,
  formatProbability,
  hardwareNetwork,
  hardwareNetworkJson,
  hardwareSvg,
  loadCalibrationFile,
  loadStakes,
  renderTable,
  SimulationInputError,
  StakesFileError,
  writeFigure,
} from "../analysis/index.js";
import { CommandError, intFlag, numberFlag, printJson, requireString, UsageError } from "./args.js";

async function readServers(file: string): Promise<string[]> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    throw new CommandError(`--validator-servers ${file}: ${(err as Error).message}`, { cause: err });
  }
  if (!Array.isArray(value) || value.some((s) => typeof s !== "string" || s === "")) {
    throw new CommandError(`--validator-servers ${file}: must be a JSON array of server names`);
  }
  return value as string[];
}

/** The flags `simulate network` gains for validators on different hardware. */
export const hardwareFlags = {
  "validator-servers": {
    type: "string",
    arg: "FILE",
    help: "JSON array of server names, one per validator in the stakes' order (hardware mode)",
  },
  calibration: { type: "string", arg: "FILE", help: "calibration.json of `pocval calibrate` (hardware mode)" },
  "participant-server": { type: "string", arg: "NAME", help: "the honest participant's server (hardware mode)" },
} as const;

/**
 * `pocval simulate network --stakes FILE --validator-servers FILE --calibration FILE
 * --participant-server NAME [--n --fp-rate --alpha --quorum] [--plot FILE] [--json]`.
 */
export async function runHardwareNetwork(values: {
  stakes?: string;
  "validator-servers"?: string;
  calibration?: string;
  "participant-server"?: string;
  n?: string;
  "fp-rate"?: string;
  alpha?: string;
  quorum?: string;
  slots?: string;
  rate?: string;
  json?: boolean;
  plot?: string;
}): Promise<void> {
  if (values.rate !== undefined)
    throw new UsageError("--rate does not go with --validator-servers: the calibration gives each pair's rate");
  const slots = values.slots === undefined ? undefined : intFlag(values, "slots", { min: 1, max: 2000 });
  const stakesFile = requireString(values, "stakes");
  const serversFile = requireString(values, "validator-servers");
  const calibrationFile = requireString(values, "calibration");
  const participantServer = requireString(values, "participant-server");
  const n = intFlag(values, "n", { min: 1, max: 10_000_000, default: 200 });
  const fpRate = values["fp-rate"] === undefined ? undefined : numberFlag(values, "fp-rate", { min: 0, max: 1 });
  if (fpRate !== undefined && (fpRate <= 0 || fpRate >= 1))
    throw new UsageError(`--fp-rate must be strictly between 0 and 1, got ${fpRate}`);
  const alpha = values.alpha === undefined ? undefined : numberFlag(values, "alpha", { min: 0, max: 1 });
  const quorum = numberFlag(values, "quorum", { min: 0, max: 1, default: 0.5 });
  if (values.plot !== undefined && !/\.(svg|png)$/i.test(values.plot))
    throw new UsageError(`--plot must name a .svg or .png file, got "${values.plot}"`);
  let stakes: bigint[];
  try {
    stakes = await loadStakes(stakesFile);
  } catch (err) {
    if (err instanceof StakesFileError) throw new CommandError(`--stakes ${err.message}`, { cause: err });
    throw err;
  }
  const validatorServers = await readServers(serversFile);
  let calibration: Awaited<ReturnType<typeof loadCalibrationFile>>;
  try {
    calibration = await loadCalibrationFile(calibrationFile);
  } catch (err) {
    if (err instanceof CalibrationFileError) throw new CommandError(`--calibration ${err.message}`, { cause: err });
    throw err;
  }
  let r: ReturnType<typeof hardwareNetwork>;
  try {
    r = hardwareNetwork({
      stakes,
      validatorServers,
      calibration,
      participantServer,
      n,
      fpRate,
      alpha,
      quorum,
      slots,
    });
  } catch (err) {
    if (err instanceof SimulationInputError) throw new UsageError(`--${err.message}`);
    throw err;
  }
  if (values.plot !== undefined) {
    try {
      await writeFigure(values.plot, hardwareSvg(r));
    } catch (err) {
      throw new CommandError(`--plot ${values.plot}: ${(err as Error).message}`, { cause: err });
    }
    process.stderr.write(`wrote ${values.plot}\n`);
  }
  if (values.json) return printJson(hardwareNetworkJson(r));
  const rows = r.classes.map((c) => [
    `${c.server}${c.server === r.participantServer ? " *" : ""}`,
    `${(c.perValidatorRateMax * 100).toFixed(2)}%`,
    formatProbability(c.perValidatorFlagMax),
    formatProbability(c.pConvicted),
  ]);
  process.stdout.write(
    `policy ${r.policy}: N = ${r.n}, fp_rate ${r.fpRate}, alpha ${r.alpha}, k_crit ${r.kCrit}, quorum ${r.quorum}; ${stakes.length} validators\n` +
      `honest participant on ${r.participantServer}: P[convicted] = ${formatProbability(r.exact.pConvicted)} (largest validator pair rate ${(r.perValidatorRateMax * 100).toFixed(2)}%)\n\n` +
      `${renderTable(["participant class", "pair rate max", "P[one validator flags] max", "P[convicted]"], rows, ["left", "right", "right", "right"])}\n`,
  );
}
