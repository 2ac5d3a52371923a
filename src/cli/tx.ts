import { type DeliverTxResponse, GasPrice, SigningStargateClient } from "@cosmjs/stargate";
import {
  createPocvalRegistry,
  DEFAULT_GAS_PRICE,
  type MsgCommitArtifactsEncodeObject,
  type MsgRegisterParticipantEncodeObject,
  type MsgSubmitVotesEncodeObject,
  typeUrls,
} from "../client/index.js";
import { Reason, reasonFromJSON, Verdict, verdictFromJSON } from "../gen/pocval/v1/types.js";
import { HomeError, readKeyFile, walletFromKeyFile } from "../node/index.js";
import { CommandError, type FlagSpec, intFlag, parseFlags, printJson, requireString, UsageError } from "./args.js";
import { bigintFlag, nodeFlag } from "./query.js";

type Message = MsgRegisterParticipantEncodeObject | MsgCommitArtifactsEncodeObject | MsgSubmitVotesEncodeObject;

function base64Flag(values: Record<string, unknown>, name: string, bytes: number): Uint8Array {
  const raw = requireString(values, name);
  const decoded = /^[A-Za-z0-9+/]*={0,2}$/.test(raw) && raw.length % 4 === 0 ? Buffer.from(raw, "base64") : undefined;
  if (!decoded || decoded.length !== bytes)
    throw new UsageError(`--${name} must be ${bytes} bytes in base64, got "${raw}"`);
  return new Uint8Array(decoded);
}

function enumFlag<T>(
  values: Record<string, unknown>,
  name: string,
  prefix: string,
  parse: (v: string) => T,
  fallback?: T,
): T {
  const raw = values[name];
  if (raw === undefined) {
    if (fallback !== undefined) return fallback;
    throw new UsageError(`missing required flag --${name}`);
  }
  try {
    return parse(`${prefix}${String(raw).toUpperCase().replace(/-/g, "_")}`);
  } catch {
    throw new UsageError(`--${name}: unknown value "${String(raw)}"`);
  }
}

const builders: Record<string, { flags: string[]; build: (v: Record<string, unknown>, creator: string) => Message }> = {
  register: {
    flags: ["poc-public-key", "proof-api-url"],
    build: (v, creator) => ({
      typeUrl: typeUrls.registerParticipant,
      value: {
        creator,
        pocPublicKey: requireString(v, "poc-public-key"),
        proofApiUrl: requireString(v, "proof-api-url"),
      },
    }),
  },
  commit: {
    flags: ["stage-height", "count", "root-hash"],
    build: (v, creator) => ({
      typeUrl: typeUrls.commitArtifacts,
      value: {
        creator,
        stageHeight: bigintFlag(v, "stage-height"),
        count: bigintFlag(v, "count"),
        rootHash: base64Flag(v, "root-hash", 32),
      },
    }),
  },
  vote: {
    flags: ["stage-height", "participant", "verdict", "reason", "checked", "mismatches", "p-value", "evidence-hash"],
    build: (v, creator) => {
      const verdict = enumFlag(v, "verdict", "VERDICT_", verdictFromJSON);
      if (verdict === Verdict.UNRECOGNIZED || verdict === Verdict.VERDICT_UNSPECIFIED) {
        throw new UsageError(`--verdict must be honest or cheater, got "${String(v.verdict)}"`);
      }
      const reason = enumFlag(v, "reason", "REASON_", reasonFromJSON, Reason.REASON_STAT_TEST);
      if (reason === Reason.UNRECOGNIZED) throw new UsageError(`--reason: unknown value "${String(v.reason)}"`);
      const checked = intFlag(v, "checked", { min: 0, max: 2 ** 32 - 1, default: 0 });
      const mismatches = intFlag(v, "mismatches", { min: 0, max: checked, default: 0 });
      const pValue = typeof v["p-value"] === "string" ? v["p-value"] : "1";
      if (!/^\d+(\.\d+)?([eE][-+]?\d+)?$/.test(pValue) || Number(pValue) > 1) {
        throw new UsageError(`--p-value must be a decimal in [0, 1], got "${pValue}"`);
      }
      const evidenceHash = v["evidence-hash"] === undefined ? new Uint8Array(32) : base64Flag(v, "evidence-hash", 32);
      return {
        typeUrl: typeUrls.submitVotes,
        value: {
          creator,
          stageHeight: bigintFlag(v, "stage-height"),
          votes: [
            {
              participant: requireString(v, "participant"),
              verdict,
              reason,
              checked,
              mismatches,
              pValue,
              evidenceHash,
            },
          ],
        },
      };
    },
  },
};

function report(r: DeliverTxResponse, json: boolean): void {
  if (json) {
    printJson({ tx_hash: r.transactionHash, height: r.height, code: r.code, log: r.rawLog ?? "", gas_used: r.gasUsed });
    return;
  }
  process.stdout.write(
    `tx ${r.transactionHash} height ${r.height} code ${r.code}${r.rawLog ? ` log ${r.rawLog}` : ""}\n`,
  );
}

/** `pocval tx <register|commit|vote> --node URL --key FILE ...`: signs with the key file and broadcasts. */
export async function run(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  const builder = sub !== undefined && Object.hasOwn(builders, sub) ? builders[sub] : undefined;
  if (!builder) {
    throw new UsageError(`tx: expected register, commit or vote, got ${sub === undefined ? "nothing" : `"${sub}"`}`);
  }
  const spec: FlagSpec = { node: { type: "string" }, key: { type: "string" }, json: { type: "boolean" } };
  for (const f of builder.flags) spec[f] = { type: "string" };
  const values: Record<string, unknown> = parseFlags(rest, spec).values;
  const node = nodeFlag(values);
  const keyPath = requireString(values, "key");
  let key: Awaited<ReturnType<typeof readKeyFile>>;
  try {
    key = await readKeyFile(keyPath);
  } catch (err) {
    if (err instanceof HomeError) throw new UsageError(`--key: ${err.message}`);
    throw err;
  }
  const message = builder.build(values, key.address);
  let wallet: Awaited<ReturnType<typeof walletFromKeyFile>>;
  try {
    wallet = await walletFromKeyFile(key);
  } catch (err) {
    if (err instanceof HomeError) throw new UsageError(`--key: ${keyPath}: ${err.message}`);
    throw err;
  }
  let client: SigningStargateClient;
  try {
    client = await SigningStargateClient.connectWithSigner(node, wallet, {
      registry: createPocvalRegistry(),
      gasPrice: GasPrice.fromString(DEFAULT_GAS_PRICE),
      broadcastPollIntervalMs: 300,
    });
  } catch (err) {
    throw new CommandError(`--node ${node}: cannot reach the node: ${(err as Error).message}`);
  }
  try {
    const result = await client.signAndBroadcast(key.address, [message], "auto");
    report(result, values.json === true);
    if (result.code !== 0) throw new CommandError(`tx ${sub} was rejected: code ${result.code}: ${result.rawLog}`);
  } catch (err) {
    if (err instanceof CommandError) throw err;
    throw new CommandError(`tx ${sub}: ${(err as Error).message}`);
  } finally {
    client.disconnect();
  }
}
