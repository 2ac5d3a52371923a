// `pocval evm deploy|set-stakes`: what an EVM chain operator runs to host the tally (README, "EVM chains").
// ethers and the contract are loaded only when a command runs.

import { readFile } from "node:fs/promises";
import { z } from "zod";
import { EVM_ADDRESS_PATTERN } from "../core/evm-address.js";
import { CommandError, intFlag, printJson, requireString, UsageError } from "./args.js";
import { command, group } from "./command.js";

const stakesSchema = z
  .array(z.object({ address: z.string().regex(EVM_ADDRESS_PATTERN), stake: z.string().regex(/^(0|[1-9][0-9]*)$/) }))
  .min(1);

async function readStakes(path: string): Promise<{ validator: string; stake: bigint }[]> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    throw new UsageError(`--stakes ${path}: cannot read a JSON file: ${(err as Error).message}`);
  }
  const parsed = stakesSchema.safeParse(json);
  if (!parsed.success) {
    const where = [...new Set(parsed.error.issues.map((i) => i.path.join(".") || "(root)"))].join(", ");
    throw new UsageError(
      `--stakes ${path} must be a JSON array of {address: "0x..", stake: "integer"}: check ${where}`,
    );
  }
  return parsed.data.map((s) => ({ validator: s.address, stake: BigInt(s.stake) }));
}

async function connect(values: Record<string, unknown>) {
  const { JsonRpcProvider } = await import("ethers");
  const { loadEvmWallet } = await import("../evm/index.js");
  const rpc = requireString(values, "rpc");
  if (!/^https?:\/\//.test(rpc)) throw new UsageError(`--rpc must be an http(s) URL of an EVM node, got "${rpc}"`);
  const file = values["mnemonic-file"];
  const envName = values["mnemonic-env"];
  const source =
    typeof file === "string"
      ? { mnemonicFile: file }
      : typeof envName === "string"
        ? { mnemonicEnv: envName }
        : { mnemonicEnv: "POCVAL_MNEMONIC" };
  const provider = new JsonRpcProvider(rpc, undefined, { cacheTimeout: -1 });
  try {
    return { provider, wallet: await loadEvmWallet(source, provider) };
  } catch (err) {
    provider.destroy();
    throw new CommandError((err as Error).message, { cause: err });
  }
}

const keyFlags = {
  rpc: { type: "string", arg: "URL", help: "the EVM node's JSON-RPC", required: true },
  "mnemonic-file": {
    type: "string",
    arg: "FILE",
    help: "the governance key's mnemonic (Ethereum HD path m/44'/60'/0'/0/0)",
  },
  "mnemonic-env": {
    type: "string",
    arg: "VAR",
    help: "or the environment variable holding it (default POCVAL_MNEMONIC)",
  },
} as const;

/** --acceptance-rate by the module's rule (core/params.ts): "" when absent. */
function acceptanceRateFlag(values: Record<string, unknown>, core: typeof import("../core/index.js")): string {
  const raw = values["acceptance-rate"];
  if (raw === undefined) return "";
  try {
    return core.acceptanceRateParam(String(raw), core.defaultParams().fpRate) ?? "";
  } catch (e) {
    if (e instanceof core.ParamError) throw new UsageError(`--acceptance-rate: ${e.reason}`);
    throw e;
  }
}

export default group("evm", {
  deploy: command({
    summary:
      "deploy PocvalTally, set params (with the exact k_crit table) and, with --stakes, a stake snapshot: prints JSON",
    flags: {
      ...keyFlags,
      "stage-length": { type: "string", arg: "N", help: "blocks per stage (default 30)" },
      "stage-offset": {
        type: "string",
        arg: "N",
        help: "stages start where height % stage-length is this (default 2)",
      },
      "commit-window": { type: "string", arg: "N", help: "blocks (default 10)" },
      "validation-window": { type: "string", arg: "N", help: "blocks, at most 256 (default 12)" },
      "sample-size": { type: "string", arg: "N", help: "leaves per check (default 200)" },
      "validation-slots": {
        type: "string",
        arg: "M",
        help: "version 2 slots per participant (default 0: everyone checks)",
      },
      "proof-request-budget": {
        type: "string",
        arg: "N",
        help: "proof requests per validator, participant and stage, retries included (default 8, at most 1000)",
      },
      "proof-response-ms": {
        type: "string",
        arg: "MS",
        help: "each proof request's deadline and the longest wait between tries (default 30000)",
      },
      "acceptance-rate": {
        type: "string",
        arg: "D",
        help: "version 3 early acceptance: a decimal below fp_rate 0.02 (default off)",
      },
      stakes: { type: "string", arg: "FILE", help: 'JSON [{"address": "0x..", "stake": "100"}, ...]' },
    },
    async run(values) {
      const core = await import("../core/index.js");
      const { defaultParams, defaultTiming, MAX_PROOF_REQUEST_BUDGET, PROOF_RESPONSE_MS_RANGE } = core;
      const { deployPocvalTally } = await import("../evm/index.js");
      const t = defaultTiming();
      const timing = {
        stageLength: BigInt(intFlag(values, "stage-length", { min: 2, default: Number(t.stageLength) })),
        stageOffset: BigInt(intFlag(values, "stage-offset", { min: 0, default: Number(t.stageOffset) })),
        commitWindow: BigInt(intFlag(values, "commit-window", { min: 1, default: Number(t.commitWindow) })),
        validationWindow: BigInt(
          intFlag(values, "validation-window", { min: 1, max: 256, default: Number(t.validationWindow) }),
        ),
      };
      const params = {
        ...defaultParams(),
        sampleSize: intFlag(values, "sample-size", { min: 1, default: defaultParams().sampleSize }),
        validationSlots: intFlag(values, "validation-slots", { min: 0, default: 0 }),
        proofRequestBudget: intFlag(values, "proof-request-budget", {
          min: 1,
          max: MAX_PROOF_REQUEST_BUDGET,
          default: defaultParams().proofRequestBudget,
        }),
        proofResponseMs: intFlag(values, "proof-response-ms", {
          min: PROOF_RESPONSE_MS_RANGE[0],
          max: PROOF_RESPONSE_MS_RANGE[1],
          default: defaultParams().proofResponseMs,
        }),
        acceptanceRate: acceptanceRateFlag(values, core),
      };
      const stakes = typeof values.stakes === "string" ? await readStakes(values.stakes) : undefined;
      const { provider, wallet } = await connect(values);
      try {
        const tally = await deployPocvalTally(wallet, { timing });
        await tally.setParams(params);
        if (stakes) await tally.setStakes(stakes);
        printJson({
          contract: tally.address,
          governance: wallet.address,
          block: await provider.getBlockNumber(),
          timing: {
            stage_length: String(timing.stageLength),
            stage_offset: String(timing.stageOffset),
            commit_window: String(timing.commitWindow),
            validation_window: String(timing.validationWindow),
          },
          sample_size: params.sampleSize,
          validation_slots: params.validationSlots,
          proof_request_budget: params.proofRequestBudget,
          proof_response_ms: params.proofResponseMs,
          acceptance_rate: params.acceptanceRate,
          validators: stakes?.length ?? 0,
        });
      } catch (err) {
        throw new CommandError(`deploy: ${(err as Error).message}`, { cause: err });
      } finally {
        provider.destroy();
      }
    },
  }),
  "set-stakes": command({
    summary: "set a stake snapshot (takes effect from the next block; a stage uses the one in effect at its start)",
    flags: {
      ...keyFlags,
      contract: { type: "string", arg: "ADDR", help: "the PocvalTally address", required: true },
      stakes: { type: "string", arg: "FILE", help: 'JSON [{"address": "0x..", "stake": "100"}, ...]', required: true },
    },
    async run(values) {
      const { pocvalTally } = await import("../evm/index.js");
      const stakes = await readStakes(requireString(values, "stakes"));
      const contract = requireString(values, "contract");
      const { provider, wallet } = await connect(values);
      try {
        await pocvalTally(contract, wallet).setStakes(stakes);
        printJson({ contract, validators: stakes.length, block: await provider.getBlockNumber() });
      } catch (err) {
        throw new CommandError(`set-stakes: ${(err as Error).message}`, { cause: err });
      } finally {
        provider.destroy();
      }
    },
  }),
});
