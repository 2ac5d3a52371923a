// `pocval tx`: signs and broadcasts register, commit and vote messages from a key file.
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
import { CommandError, intFlag, printJson, requireString, UsageError } from "./args.js";
import { nodeFlag } from "./chain-flags.js";
import { type Command, command, type FlagDef, group } from "./command.js";
import { bigintFlag, nodeFlags } from "./query.js";

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

const s = (arg: string, help: string, required = true): FlagDef => ({ type: "string", arg, help, required });

const builders: Record<
  string,
  { summary: string; flags: Record<string, FlagDef>; build: (v: Record<string, unknown>, creator: string) => Message }
> = {
  register: {
    summary: "registers the key's account as a participant",
    flags: {
      "poc-public-key": s("KEY", "the participant's PoC public key"),
      "proof-api-url": s("URL", "where validators fetch proofs"),
    },
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
    summary: "commits a stage's artifacts (count and Merkle root)",
    flags: {
      "stage-height": s("H", "the stage's height"),
      count: s("N", "the number of artifacts"),
      "root-hash": s("B64", "the Merkle root, 32 bytes in base64"),
    },
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
    summary: "submits one validator vote on a participant",
    flags: {
      "stage-height": s("H", "the stage's height"),
      participant: s("ADDR", "the participant voted on"),
      verdict: s("honest|cheater", "the verdict"),
      reason: s("REASON", "why (default stat-test)", false),
      checked: s("N", "nonces checked (default 0)", false),
      mismatches: s("K", "mismatches found (default 0)", false),
      "p-value": s("P", "the binomial test's p-value (default 1)", false),
      "evidence-hash": s("B64", "the evidence's hash, 32 bytes in base64 (default zeros)", false),
    },
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

const keyFlag = {
  key: { type: "string", arg: "FILE", help: "the signer's key file (`node init` writes them)", required: true },
} as const;

/** `pocval tx <register|commit|vote> --node URL --key FILE ...`: signs with the key file and broadcasts. */
export default group(
  "tx",
  Object.fromEntries(
    Object.entries(builders).map(([sub, b]): [string, Command] => [
      sub,
      command({
        summary: b.summary,
        flags: { ...nodeFlags, ...keyFlag, ...b.flags },
        run: (values) => send(sub, values),
      }),
    ]),
  ),
);

async function send(sub: string, values: Record<string, unknown>): Promise<void> {
  const builder = builders[sub]!;
  const node = nodeFlag(values);
  const keyPath = requireString(values, "key");
  let key: Awaited<ReturnType<typeof readKeyFile>>;
  try {
    key = await readKeyFile(keyPath);
  } catch (err) {
    if (err instanceof HomeError) throw new UsageError(`--key: ${err.message}`, { cause: err });
    throw err;
  }
  const message = builder.build(values, key.address);
  let wallet: Awaited<ReturnType<typeof walletFromKeyFile>>;
  try {
    wallet = await walletFromKeyFile(key);
  } catch (err) {
    if (err instanceof HomeError) throw new UsageError(`--key: ${keyPath}: ${err.message}`, { cause: err });
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
    throw new CommandError(`--node ${node}: cannot reach the node: ${(err as Error).message}`, { cause: err });
  }
  try {
    const result = await client.signAndBroadcast(key.address, [message], "auto");
    report(result, values.json === true);
    if (result.code !== 0) throw new CommandError(`${sub}: rejected with code ${result.code}: ${result.rawLog}`);
  } catch (err) {
    if (err instanceof CommandError) throw err;
    throw new CommandError(`${sub}: ${(err as Error).message}`, { cause: err });
  } finally {
    client.disconnect();
  }
}
