// The `chain` section the sidecar's and the participant agent's configs share (docs/cli.md):
// which chain they work on, the pocval module of a Cosmos chain (the default, at node.rpcUrl) or a
// PocvalTally contract on an EVM chain (chain.rpcUrl, chain.contract), and its checks.
import { z } from "zod";
import type { EnvOverride } from "../config/index.js";
import { EVM_ADDRESS_PATTERN } from "../core/index.js";

/** A URL string with one of the given protocols ("http:", "wss:", ...). */
export const urlWith = (protocols: string[]) =>
  z.string().refine(
    (u) => {
      try {
        return protocols.includes(new URL(u).protocol);
      } catch {
        return false;
      }
    },
    `must be a ${protocols.join(" or ")} URL`,
  );

export const chainConfigSchema = z
  .strictObject({
    kind: z.enum(["cosmos", "evm"]).default("cosmos"),
    /** The chain id the node must report (CometBFT's network; eth_chainId in decimal on evm); `sidecar doctor` checks it, `sidecar start` refuses another. */
    id: z.string().min(1).max(128).optional(),
    /** The chain's RPC: the node's CometBFT RPC on cosmos (node.rpcUrl otherwise), the JSON-RPC (http or ws) on evm. */
    rpcUrl: urlWith(["http:", "https:", "ws:", "wss:"]).optional(),
    /** The PocvalTally contract's address (evm only). */
    contract: z.string().regex(EVM_ADDRESS_PATTERN, "must be a 20-byte EVM address (0x and 40 hex digits)").optional(),
  })
  .prefault({});

type ChainSection = { chain: z.output<typeof chainConfigSchema>; node: { rpcUrl?: string } };

/**
 * The rules across `chain` and `node.rpcUrl`, for a config's superRefine: evm needs chain.rpcUrl
 * and chain.contract; cosmos takes no contract, an http(s) chain.rpcUrl, or node.rpcUrl.
 */
export function checkChainSection(c: ChainSection, ctx: z.RefinementCtx): void {
  const issue = (path: string[], message: string) => ctx.addIssue({ code: "custom", path, message });
  if (c.chain.kind === "evm") {
    if (c.chain.rpcUrl === undefined) issue(["chain", "rpcUrl"], "required when chain.kind is evm (the EVM JSON-RPC)");
    if (c.chain.contract === undefined) {
      issue(["chain", "contract"], "required when chain.kind is evm (the PocvalTally address)");
    }
    return;
  }
  if (c.chain.contract !== undefined) issue(["chain", "contract"], "only for chain.kind evm");
  if (c.chain.rpcUrl !== undefined && !/^https?:/.test(c.chain.rpcUrl)) {
    issue(["chain", "rpcUrl"], "must be a http: or https: URL on a cosmos chain");
  }
  if (c.chain.rpcUrl === undefined && c.node.rpcUrl === undefined) {
    issue(["node", "rpcUrl"], "required (the node's CometBFT RPC), or chain.rpcUrl");
  }
}

/** The environment variables of the chain section and node.rpcUrl: `<prefix>_CHAIN_KIND`, `_CHAIN_RPC`, `_CHAIN_CONTRACT`, `_NODE_RPC`. */
export function chainEnvOverrides(prefix: string): EnvOverride[] {
  return [
    { name: `${prefix}_CHAIN_KIND`, path: ["chain", "kind"], kind: "string" },
    { name: `${prefix}_CHAIN_RPC`, path: ["chain", "rpcUrl"], kind: "string" },
    { name: `${prefix}_CHAIN_CONTRACT`, path: ["chain", "contract"], kind: "string" },
    { name: `${prefix}_NODE_RPC`, path: ["node", "rpcUrl"], kind: "string" },
  ];
}

/** One resolved RPC URL: chain.rpcUrl, else (cosmos) node.rpcUrl; checkChainSection made sure one is there. */
export function resolveChainRpc<C extends ChainSection>(c: C): C & { chain: C["chain"] & { rpcUrl: string } } {
  return { ...c, chain: { ...c.chain, rpcUrl: (c.chain.rpcUrl ?? c.node.rpcUrl) as string } };
}
