// `pocval sidecar init`: a commented YAML config for one validator, from the operator's RPC URLs,
// backend URLs and key path, with every other field written at its default. SIDECAR_CONFIG_FIELDS
// is the one home of each field's explanation: the README's sidecar config table is rendered from
// it (test/sidecar/init-config.test.ts compares them) and the YAML's comments quote it.
import { parse as parseYaml } from "yaml";
import { websocketUrl } from "./chain-cosmos.js";
import { parseSidecarConfig, type SidecarConfig } from "./config.js";

/** One row of the config table: the keys it covers, and its default and meaning in the docs' words. */
export interface ConfigField {
  keys: readonly string[];
  /** The option column as the README shows it (markdown). */
  option: string;
  /** The default column (markdown; "" when there is none). */
  default: string;
  meaning: string;
}

const f = (keys: string[], dflt: string, meaning: string, option?: string): ConfigField => ({
  keys,
  option: option ?? keys.map((k) => `\`${k}\``).join(" / "),
  default: dflt,
  meaning,
});
const retryKeys = (section: string) => ["attempts", "baseDelayMs", "maxDelayMs"].map((k) => `${section}.retry.${k}`);
const retryOption = (section: string) => `\`${section}.retry.attempts\` / \`baseDelayMs\` / \`maxDelayMs\``;

/** Every field of the sidecar's config, in the file's order, explained as docs explain it. */
export const SIDECAR_CONFIG_FIELDS: readonly ConfigField[] = [
  f(
    ["chain.kind"],
    "`cosmos`",
    '`cosmos` (the pocval module at `node.rpcUrl`) or `evm` (a PocvalTally contract: see "EVM chains" below)',
  ),
  f(
    ["chain.id"],
    "",
    "the chain id the node must report (CometBFT's network on `cosmos`, `eth_chainId` in decimal on `evm`); `pocval sidecar doctor` checks it and `sidecar start` refuses a node on another chain",
  ),
  f(["chain.rpcUrl"], "`node.rpcUrl`", "on `evm` the JSON-RPC (required); on `cosmos` it may replace `node.rpcUrl`"),
  f(["chain.contract"], "", "the PocvalTally address (`evm` only, required there)"),
  f(["node.rpcUrl"], "required on `cosmos`", "the node's CometBFT RPC (HTTP): queries, transactions, status polling"),
  f(["node.wsUrl"], "`ws(s)://<rpcUrl host>/websocket`", "websocket endpoint for `tm.event='NewBlock'`"),
  f(["node.pollIntervalMs"], "500", "polling period when the websocket is down or quiet"),
  f(["node.wsStallMs"], "10000", "no NewBlock for this long: drop the websocket, poll, reconnect with backoff"),
  f(["node.requestTimeoutMs"], "10000", "timeout of one RPC request"),
  f(["key.mnemonicFile"], "", "a file holding the BIP-39 mnemonic"),
  f(
    ["key.keyFile"],
    "",
    "a key file as `pocval node init` writes it (`{name, address, mnemonic}`; the address must match)",
  ),
  f(["key.mnemonic"], "", "the mnemonic itself (programmatic use and `POCVAL_SIDECAR_MNEMONIC`; keep it out of files)"),
  f(["backend.urls"], "required", "one or more PoC backend base URLs"),
  f(
    ["backend.concurrency"],
    "8",
    "requests in flight per backend URL (enough that the backend never waits for the sidecar)",
  ),
  f(["backend.batchSize"], "500", "nonces per backend request"),
  f(["backend.timeoutMs"], "120000", "timeout of one backend request"),
  f(
    retryKeys("backend"),
    "1000 / 500 / 5000",
    "retries of a failed recompute request (exponential backoff with jitter); the window's deadline usually ends them first",
    retryOption("backend"),
  ),
  f(["proofApi.batchSize"], "500", "leaf indices per proof request (at most 500)"),
  f(["proofApi.maxResponseBytes"], "16777216", "larger answers fail as oversize"),
  f(["proofApi.concurrency"], "16", "participants whose proofs are fetched at the same time"),
  f(
    ["proofApi.workers"],
    "0",
    "worker threads for the proof side of checks (sampling, signing, fetching, schema and Merkle checks); 0 keeps it in the main thread",
  ),
  f(
    ["proofApi.retry.baseDelayMs", "proofApi.retry.maxDelayMs"],
    "200 / 1000",
    "backoff between failed proof requests (8 instant failures then take about 5 s), each wait capped at the chain's `proof_response_ms` and so that the budget's tries left fit before the check's deadline; how many tries (`proof_request_budget`) and each one's deadline (`proof_response_ms`, body included: a slow drip fails) are chain params, not the sidecar's",
    "`proofApi.retry.baseDelayMs` / `maxDelayMs`",
  ),
  f(["check.chunkSize"], "20", "curtailed checks: leaves of a participant recomputed per step (one backend request)"),
  f(
    ["check.curtail"],
    "true",
    'stop a participant once its verdict cannot change (and, when the chain has an `acceptance_rate`, once it is under the early acceptance line); `false` recomputes all n (see "Curtailed checks in the sidecar")',
  ),
  f(["votes.batchSize"], "100", "votes per transaction"),
  f(["votes.gasPrice"], "`0.025upoc`", "fee per unit of gas"),
  f(["votes.simulate"], "true", "simulate each batch and use its gas times `votes.gasAdjustment` as the limit"),
  f(["votes.gasAdjustment"], "1.3", "margin on the simulated gas"),
  f(
    ["votes.baseGas", "votes.gasPerVote"],
    "200000 / 30000",
    "gas limit of a batch when simulation is off or fails: base + per vote",
  ),
  f(["votes.gasRetryFactor"], "2", "gas multiplier after an out-of-gas failure"),
  f(["votes.inclusionTimeoutMs"], "20000", "wait for a broadcast transaction to land before re-checking the chain"),
  f(
    ["votes.deadlineMarginBlocks"],
    "2",
    "stop checking this many blocks before the window's last height (unfinished checks abstain)",
  ),
  f(
    retryKeys("votes"),
    "20 / 200 / 3000",
    "submission retries per flush (each new height flushes again)",
    retryOption("votes"),
  ),
  f(["journal.path"], "`pocval-sidecar.db`", "the SQLite journal (keep it across restarts)"),
  f(["metrics.host", "metrics.port"], "`127.0.0.1` / 9464", "the metrics and health server (port 0 picks a free one)"),
  f(["metrics.enabled"], "true", "serve `/metrics` and `/healthz`"),
  f(["log.level"], "`info`", "`debug`, `info`, `warn`, `error` or `silent`"),
  f(["log.progress"], "`auto`", "the progress line: `auto` (on a terminal), `on` or `off`"),
];

/** The README's table of SIDECAR_CONFIG_FIELDS, row for row. */
export function configFieldsTable(): string {
  const rows = SIDECAR_CONFIG_FIELDS.map((x) => `| ${x.option} | ${x.default} | ${x.meaning} |`);
  return ["| option | default | meaning |", "| --- | --- | --- |", ...rows].join("\n");
}

/** What the operator tells `sidecar init`. */
export interface InitConfigOptions {
  chain: "cosmos" | "evm";
  /** The chain id the node must report (doctor checks it). */
  chainId?: string;
  /** cosmos: the node's CometBFT RPC (node.rpcUrl); evm: the JSON-RPC (chain.rpcUrl). */
  rpcUrl: string;
  wsUrl?: string;
  /** evm: the PocvalTally address. */
  contract?: string;
  backendUrls: readonly string[];
  keyFile?: string;
  mnemonicFile?: string;
  journalPath?: string;
  metricsHost?: string;
  metricsPort?: number;
}

/** The operator's values by key; everything else is written at its default. */
function givenValues(o: InitConfigOptions): Map<string, unknown> {
  const given = new Map<string, unknown>([["chain.kind", o.chain]]);
  if (o.chainId !== undefined) given.set("chain.id", o.chainId);
  given.set(o.chain === "evm" ? "chain.rpcUrl" : "node.rpcUrl", o.rpcUrl);
  if (o.contract !== undefined) given.set("chain.contract", o.contract);
  if (o.wsUrl !== undefined) given.set("node.wsUrl", o.wsUrl);
  given.set("backend.urls", [...o.backendUrls]);
  if (o.keyFile !== undefined) given.set("key.keyFile", o.keyFile);
  if (o.mnemonicFile !== undefined) given.set("key.mnemonicFile", o.mnemonicFile);
  if (o.journalPath !== undefined) given.set("journal.path", o.journalPath);
  if (o.metricsHost !== undefined) given.set("metrics.host", o.metricsHost);
  if (o.metricsPort !== undefined) given.set("metrics.port", o.metricsPort);
  return given;
}

/** A value at a dotted path of an object (undefined when absent). */
function at(obj: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], obj);
}

/** Why a key without a default is left out, as a comment line in its place. */
function absentNote(key: string, o: InitConfigOptions): string | undefined {
  if (key === "key.mnemonic") return "mnemonic: never here; only from the environment (POCVAL_SIDECAR_MNEMONIC)";
  if (key === "node.wsUrl" && o.chain === "cosmos") return `wsUrl: ${websocketUrl(o.rpcUrl)}  (derived)`;
  if (key === "chain.rpcUrl") return "rpcUrl: (node.rpcUrl)";
  if (key === "key.mnemonicFile" || key === "key.keyFile") {
    return `${key.slice(4)}: (not used: exactly one key source is given)`;
  }
  if (key === "node.rpcUrl" && o.chain === "evm") return "rpcUrl: (not used on evm)";
  return undefined;
}

/** The YAML lines of the fields, with the comment of each row before its first key. */
function renderFields(o: InitConfigOptions, values: (key: string) => unknown, given: Map<string, unknown>): string[] {
  const lines: string[] = [];
  let section = "";
  let sub = "";
  for (const field of SIDECAR_CONFIG_FIELDS) {
    for (const [i, key] of field.keys.entries()) {
      const parts = key.split(".");
      const [top, ...rest] = parts as [string, ...string[]];
      const nested = rest.length > 1 ? rest[0]! : "";
      const name = rest[rest.length - 1]!;
      if (top !== section) {
        lines.push("", `${top}:`);
        section = top;
        sub = "";
      }
      if (nested !== sub) {
        if (nested !== "") lines.push(`  ${nested}:`);
        sub = nested;
      }
      const indent = nested === "" ? "  " : "    ";
      if (i === 0) {
        const dflt = field.default === "" ? "" : ` (default ${field.default})`;
        lines.push(`${indent}# ${field.meaning}${dflt}`);
      }
      const value = given.has(key) ? given.get(key) : values(key);
      if (value !== undefined) lines.push(`${indent}${name}: ${JSON.stringify(value)}`);
      else {
        const note = absentNote(key, o);
        if (note !== undefined) lines.push(`${indent}# ${note}`);
      }
    }
  }
  return lines;
}

/**
 * The config file's text for one validator, validated with the sidecar's own loader rules before it
 * is returned (a bad URL or address throws SidecarConfigError naming the field).
 * @example initSidecarConfig({ chain: "cosmos", rpcUrl: "http://127.0.0.1:26657",
 *   backendUrls: ["http://127.0.0.1:8000"], keyFile: "/etc/pocval/validator.json" })
 */
export function initSidecarConfig(o: InitConfigOptions): string {
  const given = givenValues(o);
  // The defaults, from the schema itself: a config holding only the operator's values, parsed.
  const raw: Record<string, Record<string, unknown>> = {};
  for (const [key, value] of given) {
    const [top, name] = key.split(".") as [string, string];
    raw[top] = { ...raw[top], [name]: value };
  }
  const defaults: SidecarConfig = parseSidecarConfig(raw, "sidecar init");
  const values = (key: string) => (key === "chain.rpcUrl" || key === "node.wsUrl" ? undefined : at(defaults, key));
  const header = [
    `# pocval sidecar config (${o.chain}), written by \`pocval sidecar init\`.`,
    "# Each field: what it is, then its default; the values below are those defaults unless you gave them.",
    "# Check it before starting: pocval sidecar doctor --config THIS_FILE",
    "# Environment variables override the file (README: POCVAL_SIDECAR_*); secrets belong there, not here.",
  ];
  const text = `${[...header, ...renderFields(o, values, given)].join("\n")}\n`;
  parseSidecarConfig(parseYaml(text), "sidecar init");
  return text;
}
