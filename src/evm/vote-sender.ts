// Vote batches from this account: signed locally so the hash is known before the broadcast (the
// sidecar journals it), the nonce from the NonceManager, reset whenever the node may not have seen
// a transaction; and the plain submitVotes send that tests and tools use.
import { keccak256, type TransactionReceipt } from "ethers";
import type { Vote } from "../gen/pocval/v1/types.js";
import { sleep } from "../net/index.js";
import { type EvmConnection, estimateVotes } from "./connection.js";
import { decodeRevert, voteTuple } from "./contract.js";

/** What became of a transaction: mined (applied or reverted), or not seen within the timeout. */
export type EvmTxOutcome =
  | { status: "mined"; ok: boolean; txHash: string; height: bigint; gasUsed: bigint }
  | { status: "unknown"; txHash: string; detail: string };

function outcomeOf(
  txHash: string,
  r: { status: number | null; blockNumber: number; gasUsed: bigint } | null,
): EvmTxOutcome | null {
  return r === null
    ? null
    : { status: "mined", ok: r.status === 1, txHash, height: BigInt(r.blockNumber), gasUsed: r.gasUsed };
}

/** A sent transaction's outcome, or null while the node knows no receipt for it. */
export async function receipt(c: EvmConnection, txHash: string): Promise<EvmTxOutcome | null> {
  return outcomeOf(txHash, await c.provider.getTransactionReceipt(txHash));
}

/**
 * Signs one vote batch, hands its hash to onSigned before it leaves, and waits for its receipt.
 * A revert at estimation throws ContractRevertError (nothing was sent).
 */
export async function sendVotes(
  c: EvmConnection,
  stageHeight: bigint,
  votes: readonly Vote[],
  o: { onSigned(txHash: string, fields: { nonce: number; gas: bigint }): void; inclusionTimeoutMs: number },
): Promise<EvmTxOutcome> {
  const { provider, signer, me, wallet, address } = c;
  const { data, gasLimit } = await estimateVotes(c, stageHeight, votes);
  const nonce = await signer.getNonce("pending");
  let raw: string;
  try {
    const tx = await wallet.connect(provider).populateTransaction({ to: address, data, gasLimit, nonce });
    raw = await wallet.signTransaction(tx);
  } catch (e) {
    throw new Error(`cannot sign the votes of ${me} on stage ${stageHeight}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const txHash = keccak256(raw);
  o.onSigned(txHash, { nonce, gas: gasLimit });
  try {
    await provider.broadcastTransaction(raw);
    signer.increment();
  } catch (e) {
    // The node may have it anyway (a lost answer): the receipt decides; the nonce is read afresh.
    signer.reset();
    const mined = outcomeOf(txHash, await provider.getTransactionReceipt(txHash).catch(() => null));
    if (mined) return mined;
    return { status: "unknown", txHash, detail: `broadcast failed: ${(e as Error).message}` };
  }
  try {
    return outcomeOf(txHash, await waitForReceipt(provider, txHash, o.inclusionTimeoutMs))!;
  } catch (e) {
    // Not mined in time (dropped, or replaced by another transaction with its nonce).
    signer.reset();
    return { status: "unknown", txHash, detail: (e as Error).message };
  }
}

/**
 * The transaction's receipt once mined; throws after timeoutMs, or once the provider is closed. Our
 * own poll: ethers' waitForTransaction leaves an unhandled rejection behind when its provider is
 * destroyed mid-wait (a sidecar stopping with a batch in flight), which ends a Node process.
 */
async function waitForReceipt(
  provider: EvmConnection["provider"],
  txHash: string,
  timeoutMs: number,
): Promise<TransactionReceipt> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const receipt = await provider.getTransactionReceipt(txHash).catch((e: unknown) => {
      if (provider.destroyed) throw e;
      return null; // a failed poll is retried until the timeout
    });
    if (receipt) return receipt;
    const left = end - Date.now();
    if (left <= 0) throw new Error(`not mined within ${timeoutMs} ms`);
    await sleep(Math.min(provider.pollingInterval, left));
  }
}

/** Sends one vote batch: gas estimated at the pending block plus a margin, nonces kept locally. */
export async function submitVotes(
  c: EvmConnection,
  stageHeight: bigint,
  votes: readonly Vote[],
): Promise<{ txHash: string; gasUsed: bigint; height: bigint }> {
  const args = [stageHeight, votes.map(voteTuple)];
  const fn = c.write.getFunction("submitVotes");
  const { gasLimit } = await estimateVotes(c, stageHeight, votes);
  try {
    const tx = await fn.send(...args, { gasLimit });
    const mined = (await tx.wait())!;
    return { txHash: tx.hash, gasUsed: mined.gasUsed, height: BigInt(mined.blockNumber) };
  } catch (e) {
    // A failed send may have consumed a nonce locally that the node never saw.
    c.signer.reset();
    decodeRevert(c.read.interface, e, `votes of ${c.me} on stage ${stageHeight}`);
  }
}
