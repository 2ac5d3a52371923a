// `pocval query`: read-only queries of the chain (Cosmos RPC or the EVM contract), as text or JSON.
import { QueryClient } from "@cosmjs/stargate";
import { connectComet } from "@cosmjs/tendermint-rpc";
import { formatPercent, renderTable } from "../analysis/index.js";
import { type PocvalExtension, setupPocvalExtension, tallyToJson } from "../client/index.js";
import {
  availabilityParams,
  isEvmAddress,
  lowerEvmAddress,
  reasonName,
  stakeShare,
  verdictName,
} from "../core/index.js";
import { Params, StageTiming } from "../gen/pocval/v1/params.js";
import { Commitment, Participant, StageInfo, type Tally, VoteRecord } from "../gen/pocval/v1/types.js";
import { CommandError, printJson, UsageError } from "./args.js";
import { chainSourceFlags, evmSourceFlags } from "./chain-flags.js";
import { type Command, command, type FlagDef, group } from "./command.js";

/** A required (or defaulted) unsigned 64-bit integer flag. */
export function bigintFlag(values: Record<string, unknown>, name: string, opts: { default?: bigint } = {}): bigint {
  const raw = values[name];
  if (raw === undefined) {
    if (opts.default !== undefined) return opts.default;
    throw new UsageError(`missing required flag --${name}`);
  }
  if (typeof raw !== "string" || !/^\d{1,20}$/.test(raw) || BigInt(raw) >= 1n << 64n) {
    throw new UsageError(`--${name} must be a non-negative 64-bit integer, got "${String(raw)}"`);
  }
  return BigInt(raw);
}

/** The shared plain-text table, with "(none)" for an empty list. */
function table(headers: string[], rows: string[][]): string {
  if (rows.length === 0) return "(none)\n";
  return `${renderTable(headers, rows)}\n`;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

type Sub = (q: PocvalExtension["pocval"], values: Record<string, unknown>, json: boolean) => Promise<void>;

const out = (text: string) => process.stdout.write(text);

/** Each query's own flags (a trailing "!" marks a required one) and what it prints. */
const subcommands: Record<string, { flags: string[]; run: Sub }> = {
  params: {
    flags: [],
    run: async (q, _v, json) => {
      const r = await q.params();
      if (json)
        return printJson({
          params: Params.toJSON(r.params),
          timing: StageTiming.toJSON(r.timing),
          authority: r.authority,
        });
      const p = r.params;
      const t = r.timing;
      out(
        table(
          ["param", "value"],
          [
            ["model", p.model],
            ["seq_len", String(p.seqLen)],
            ["k_dim", String(p.kDim)],
            ["dist_threshold", p.distThreshold],
            ["fp_rate", p.fpRate],
            ["alpha", p.alpha],
            ["sample_size", String(p.sampleSize)],
            ["quorum", `${p.quorumNum}/${p.quorumDen}`],
            ["validation_slots", String(p.validationSlots)],
            ["proof_request_budget", String(availabilityParams(p).budget)],
            ["proof_response_ms", String(availabilityParams(p).responseMs)],
            ["acceptance_rate", p.acceptanceRate === "" ? "off (version 2)" : p.acceptanceRate],
            ["stage_length", String(t.stageLength)],
            ["stage_offset", String(t.stageOffset)],
            ["commit_window", String(t.commitWindow)],
            ["validation_window", String(t.validationWindow)],
            ["authority", r.authority],
          ],
        ),
      );
    },
  },
  stage: {
    flags: ["stage-height"],
    run: async (q, v, json) => {
      const r = await q.stage(bigintFlag(v, "stage-height", { default: 0n }));
      if (json) return printJson({ stage: StageInfo.toJSON(r.stage), current_height: r.currentHeight.toString() });
      const s = r.stage;
      out(
        table(
          ["field", "value"],
          [
            ["stage_height", String(s.stageHeight)],
            ["commit window", `${s.stageHeight}..${s.commitEndHeight}`],
            ["sampling height", String(s.samplingHeight)],
            ["validation window", `${s.validationStartHeight}..${s.validationEndHeight}`],
            ["generation_seed", s.generationSeed || "(not yet)"],
            ["sampling_block_hash", s.samplingBlockHash || "(not yet)"],
            ["finalized", String(s.finalized)],
            ["current height", String(r.currentHeight)],
          ],
        ),
      );
    },
  },
  participants: {
    flags: [],
    run: async (q, _v, json) => {
      const list = await q.participants();
      if (json) return printJson({ participants: list.map((p) => Participant.toJSON(p)) });
      out(
        table(
          ["address", "poc_public_key", "proof_api_url", "registered"],
          list.map((p) => [p.address, p.pocPublicKey, p.proofApiUrl, String(p.registeredHeight)]),
        ),
      );
    },
  },
  commitments: {
    flags: ["stage-height!"],
    run: async (q, v, json) => {
      const list = await q.commitments(bigintFlag(v, "stage-height"));
      if (json) return printJson({ commitments: list.map((c) => Commitment.toJSON(c)) });
      out(
        table(
          ["participant", "count", "root_hash", "height"],
          list.map((c) => [c.participant, String(c.count), b64(c.rootHash), String(c.height)]),
        ),
      );
    },
  },
  votes: {
    flags: ["stage-height!", "participant", "validator"],
    run: async (q, v, json) => {
      const list = await q.votes(bigintFlag(v, "stage-height"), {
        participant: v.participant as string | undefined,
        validator: v.validator as string | undefined,
      });
      if (json) return printJson({ votes: list.map((r) => VoteRecord.toJSON(r)) });
      out(
        table(
          ["validator", "participant", "verdict", "reason", "checked", "mismatches", "p_value", "height"],
          list.map((r) => [
            r.validator,
            r.vote?.participant ?? "",
            r.vote ? verdictName(r.vote.verdict) : "",
            r.vote ? reasonName(r.vote.reason) : "",
            String(r.vote?.checked ?? 0),
            String(r.vote?.mismatches ?? 0),
            r.vote?.pValue ?? "",
            String(r.height),
          ]),
        ),
      );
    },
  },
  tally: {
    flags: ["stage-height!", "participant!"],
    run: async (q, v, json) => {
      const participant = v.participant;
      if (typeof participant !== "string" || participant === "")
        throw new UsageError("missing required flag --participant");
      const stageHeight = bigintFlag(v, "stage-height");
      const [t, votes, snapshot] = await Promise.all([
        q.tally(stageHeight, participant),
        q.votes(stageHeight, { participant }),
        q.stakeSnapshot(stageHeight),
      ]);
      // Every snapshot validator, with its vote or none: governance sees who abstained too.
      const ballots = snapshot.validators.map((val) => {
        const record = votes.find((r) => r.validator === val.address);
        const vote = record?.vote;
        return {
          validator: val.address,
          stake: val.stake,
          stake_share: stakeShare(val.stake, snapshot.totalStake),
          verdict: val.address === participant ? "SELF (not counted)" : vote ? verdictName(vote.verdict) : "ABSTAIN",
          reason: vote ? reasonName(vote.reason) : "",
          checked: record?.vote?.checked ?? 0,
          mismatches: record?.vote?.mismatches ?? 0,
          p_value: record?.vote?.pValue ?? "",
        };
      });
      if (json) return printJson({ tally: tallyToJson(t), validators: ballots });
      out(tallyTable([t]));
      out(
        `\n${table(
          ["validator", "stake", "share", "verdict", "reason", "mismatches", "p_value"],
          ballots.map((b) => [
            b.validator,
            b.stake,
            formatPercent(b.stake_share, 1),
            b.verdict,
            b.reason || "-",
            b.checked ? `${b.mismatches}/${b.checked}` : "-",
            b.p_value || "-",
          ]),
        )}`,
      );
    },
  },
  tallies: {
    flags: ["stage-height!"],
    run: async (q, v, json) => {
      const list = await q.tallies(bigintFlag(v, "stage-height"));
      if (json) return printJson({ tallies: list.map(tallyToJson) });
      out(tallyTable(list));
    },
  },
};

function tallyTable(list: Tally[]): string {
  const slots = list.some((t) => t.slots > 0);
  return table(
    [
      "participant",
      "count",
      "cheater",
      "honest",
      "abstain",
      "verdict",
      "decided",
      "weight",
      "votes (cheater/honest)",
      ...(slots ? ["slots (cheater/honest/abstain)"] : []),
    ],
    list.map((t) => [
      t.participant,
      String(t.count),
      formatPercent(stakeShare(t.cheaterStake, t.totalStake), 1),
      formatPercent(stakeShare(t.honestStake, t.totalStake), 1),
      formatPercent(stakeShare(t.abstainStake, t.totalStake), 1),
      t.convicted ? "CONVICTED" : "cleared",
      // A decided tally's verdict is settled; its numbers are final once the window has passed.
      t.decidedHeight === 0n ? "-" : `at ${t.decidedHeight}${t.isFinal ? ", final" : ", not final"}`,
      String(t.weight),
      `${t.cheaterVotes}/${t.honestVotes}`,
      ...(slots ? [`${t.cheaterSlots}/${t.honestSlots}/${t.abstainSlots} of ${t.slots}`] : []),
    ]),
  );
}

/** The flags `query` and `tx` share, declared once for parsing and --help. */
export const nodeFlags = {
  node: { type: "string", arg: "URL", help: "the node's CometBFT RPC, e.g. http://127.0.0.1:26657", required: true },
  json: { type: "boolean", help: "print one JSON object" },
} as const;

const queryFlags: Record<string, FlagDef> = {
  "stage-height": { type: "string", arg: "H", help: "the stage's height" },
  participant: { type: "string", arg: "ADDR", help: "only this participant" },
  validator: { type: "string", arg: "ADDR", help: "only this validator" },
};

/** "stage-height!" is the required stage-height flag. */
function flagEntry(name: string): [string, FlagDef] {
  const required = name.endsWith("!");
  const bare = required ? name.slice(0, -1) : name;
  return [bare, { ...queryFlags[bare]!, required }];
}

const summaries: Record<string, string> = {
  params: "the module's params, stage timing and authority",
  stage: "one stage's windows, seeds and state (default: the current one)",
  participants: "the registered participants",
  commitments: "a stage's artifact commitments",
  votes: "a stage's votes, optionally for one participant or validator",
  tally: "one participant's tally, with every validator's ballot and stake",
  tallies: "every tally of a stage",
};

/** The queries that also read a PocvalTally contract (`--evm-rpc URL --contract ADDR`). */
const EVM_QUERIES = new Set(["params", "tally", "tallies"]);

/**
 * `pocval query params --evm-rpc URL --contract ADDR`: the contract's latest params and its timing,
 * in the Cosmos query's table and JSON (authority: the governance address).
 */
async function runEvmParams(rpc: string, contract: string, json: boolean): Promise<void> {
  const { Contract, JsonRpcProvider, Wallet } = await import("ethers");
  const { connectEvmChain } = await import("../evm/index.js");
  const { pocvalTallyAbi } = await import("../evm/artifacts/PocvalTally.js");
  const address = lowerEvmAddress(contract);
  // Reads only: any key will do (the dashboard reads the same way).
  const chain = connectEvmChain({ rpcUrl: rpc, contract: address, wallet: Wallet.createRandom() });
  const provider = new JsonRpcProvider(rpc, undefined, { cacheTimeout: -1 });
  try {
    const { params, timing } = await chain.params();
    const read = new Contract(address, pocvalTallyAbi as unknown as string[], provider);
    const authority = String(await read.getFunction("governance")());
    const answer = { params: { ...params, validationSlots: params.validationSlots ?? 0 }, timing, authority };
    const q = { params: async () => answer } as unknown as PocvalExtension["pocval"];
    await subcommands.params!.run(q, {}, json);
  } catch (err) {
    throw new CommandError(`query params --evm-rpc ${rpc}: ${(err as Error).message}`, { cause: err });
  } finally {
    chain.close();
    provider.destroy();
  }
}

/** `pocval query <params|tally|tallies> --evm-rpc URL --contract ADDR`: the same view from a PocvalTally contract. */
async function runEvm(
  sub: string,
  { rpcUrl: rpc, contract }: { rpcUrl: string; contract: string },
  values: Record<string, unknown>,
): Promise<void> {
  if (!EVM_QUERIES.has(sub)) {
    throw new UsageError(`query ${sub}: with --evm-rpc only ${[...EVM_QUERIES].join(", ")} are available`);
  }
  if (sub === "params") return runEvmParams(rpc, contract, values.json === true);
  // Loaded on demand so that Cosmos queries do not pay for ethers.
  const { JsonRpcProvider } = await import("ethers");
  const { evmTallyReader } = await import("../evm/index.js");
  const provider = new JsonRpcProvider(rpc, undefined, { cacheTimeout: -1 });
  try {
    const reader = evmTallyReader(provider, lowerEvmAddress(contract));
    const stageHeight = bigintFlag(values, "stage-height");
    let list: Tally[];
    if (sub === "tally") {
      const participant = values.participant;
      if (!isEvmAddress(participant)) throw new UsageError("missing or invalid --participant (a 0x address)");
      list = [await reader.tally(stageHeight, lowerEvmAddress(participant))];
    } else {
      list = await reader.tallies(stageHeight);
    }
    if (values.json === true) {
      if (sub === "tally") return printJson({ tally: tallyToJson(list[0]!) });
      return printJson({ tallies: list.map(tallyToJson) });
    }
    out(tallyTable(list));
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new CommandError(`query ${sub} --evm-rpc ${rpc}: ${(err as Error).message}`, { cause: err });
  } finally {
    provider.destroy();
  }
}

async function query(sub: string, values: Record<string, unknown>): Promise<void> {
  const source = chainSourceFlags(values);
  if ("evm" in source) return runEvm(sub, source.evm, values);
  const node = source.nodeUrl;
  let comet: Awaited<ReturnType<typeof connectComet>>;
  try {
    comet = await connectComet(node);
  } catch (err) {
    throw new CommandError(`--node ${node}: cannot reach the node: ${(err as Error).message}`, { cause: err });
  }
  try {
    const q = QueryClient.withExtensions(comet, setupPocvalExtension).pocval;
    await subcommands[sub]!.run(q, values, values.json === true);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new CommandError(`${sub}: ${(err as Error).message}`, { cause: err });
  } finally {
    comet.disconnect();
  }
}

/** params, tally and tallies also read a PocvalTally contract on an EVM chain (docs/protocol.md, EVM binding). */
const evmFlags: Record<string, FlagDef> = {
  node: { ...nodeFlags.node, required: false, help: `${nodeFlags.node.help} (or --evm-rpc)` },
  ...evmSourceFlags,
};

/** `pocval query <what> --node URL [...]`: reads the pocval module through cosmjs (tally, tallies: or a contract). */
export default group(
  "query",
  Object.fromEntries(
    Object.entries(subcommands).map(([sub, s]): [string, Command] => [
      sub,
      command({
        summary: summaries[sub] ?? sub,
        flags: {
          ...nodeFlags,
          ...(EVM_QUERIES.has(sub) ? evmFlags : {}),
          ...Object.fromEntries(s.flags.map(flagEntry)),
        },
        run: (values) => query(sub, values),
      }),
    ]),
  ),
);
