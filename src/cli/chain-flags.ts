// Where a reading command reads the chain: `--node URL` (a Cosmos node's CometBFT RPC) or
// `--evm-rpc URL --contract ADDR` (a PocvalTally contract), checked one way for `query` and
// `dashboard`. Loads nothing heavy: the EVM address rule is core's file, not ethers.
import { EVM_ADDRESS_PATTERN } from "../core/evm-address.js";
import { UsageError } from "./args.js";
import type { FlagDef } from "./command.js";

/** The --node flag: an http(s) or ws(s) URL of a CometBFT RPC. */
export function nodeFlag(values: Record<string, unknown>): string {
  const raw = values.node;
  if (typeof raw !== "string" || raw === "") {
    throw new UsageError("missing required flag --node (e.g. http://127.0.0.1:26657)");
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--node must be a URL such as http://127.0.0.1:26657, got "${raw}"`);
  }
  if (!["http:", "https:", "ws:", "wss:"].includes(url.protocol)) {
    throw new UsageError(`--node must use http, https, ws or wss, got "${url.protocol}"`);
  }
  return raw;
}

/** The flags that read a PocvalTally contract instead of a Cosmos node. */
export const evmSourceFlags = {
  "evm-rpc": {
    type: "string",
    arg: "URL",
    help: "an EVM node's JSON-RPC (http/https): read the PocvalTally contract instead",
  },
  contract: { type: "string", arg: "ADDR", help: "the PocvalTally contract's 0x address (with --evm-rpc)" },
} as const satisfies Record<string, FlagDef>;

export type ChainSource = { nodeUrl: string } | { evm: { rpcUrl: string; contract: string } };

/**
 * Exactly one of --node URL and --evm-rpc URL with --contract ADDR. The EVM RPC is http(s) (a
 * reader polls it); the contract is 0x and 40 hex digits in any case (core/evm-address.ts).
 */
export function chainSourceFlags(values: Record<string, unknown>): ChainSource {
  const rpc = values["evm-rpc"];
  const contract = values.contract;
  if (rpc === undefined) {
    if (contract !== undefined) throw new UsageError("--contract goes with --evm-rpc");
    if (values.node === undefined) throw new UsageError("give --node URL (Cosmos) or --evm-rpc URL --contract ADDR");
    return { nodeUrl: nodeFlag(values) };
  }
  if (values.node !== undefined) throw new UsageError("give either --node or --evm-rpc, not both");
  if (typeof rpc !== "string" || !/^https?:\/\/\S+$/.test(rpc)) {
    throw new UsageError(`--evm-rpc must be an http(s) URL of an EVM node's JSON-RPC, got "${String(rpc)}"`);
  }
  if (contract === undefined) throw new UsageError("--evm-rpc needs --contract ADDR (the PocvalTally's 0x address)");
  if (typeof contract !== "string" || !EVM_ADDRESS_PATTERN.test(contract)) {
    throw new UsageError(`--contract must be the 0x address of a deployed PocvalTally, got "${String(contract)}"`);
  }
  return { evm: { rpcUrl: rpc, contract } };
}
