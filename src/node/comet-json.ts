// The JSON shapes of CometBFT 0.38's RPC, field for field what @cosmjs/tendermint-rpc's comet38
// adaptor reads: int64 as decimal strings, hashes as upper-case hex, bytes as base64.

import type { AbciEvent, BlockHeader, CommittedBlock, StoredBlock, StoredTx, TxResult } from "../app/index.js";

export const COMET_VERSION = "0.38.17";
const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");
const upper = (hex: string): string => hex.toUpperCase();

export function eventsJson(events: readonly AbciEvent[]) {
  return events.map((e) => ({
    type: e.type,
    attributes: e.attributes.map((a) => ({ key: a.key, value: a.value, index: true })),
  }));
}

export function txResultJson(r: TxResult) {
  return {
    code: r.code,
    data: r.data.length > 0 ? b64(r.data) : null,
    log: r.log,
    info: "",
    gas_wanted: r.gasWanted.toString(),
    gas_used: r.gasUsed.toString(),
    events: eventsJson(r.events),
    codespace: r.codespace,
  };
}

export function blockIdJson(hash: string) {
  return { hash: upper(hash), parts: { total: 1, hash: upper(hash) } };
}

const emptyBlockId = { hash: "", parts: { total: 0, hash: "" } };

export function headerJson(h: BlockHeader) {
  return {
    version: { block: "11", app: "0" },
    chain_id: h.chainId,
    height: h.height.toString(),
    time: h.time,
    last_block_id: h.lastBlockHash ? blockIdJson(h.lastBlockHash) : emptyBlockId,
    last_commit_hash: "",
    data_hash: upper(h.dataHash),
    validators_hash: "",
    next_validators_hash: "",
    consensus_hash: "",
    app_hash: upper(h.appHash),
    last_results_hash: "",
    evidence_hash: "",
    proposer_address: h.proposerAddress,
  };
}

/** The commit of the previous block: a single sequencer signs nothing, so it lists no signatures. */
function lastCommitJson(h: BlockHeader) {
  if (!h.lastBlockHash) return { height: "0", round: 0, block_id: emptyBlockId, signatures: [] };
  return { height: (h.height - 1n).toString(), round: 0, block_id: blockIdJson(h.lastBlockHash), signatures: [] };
}

export function blockJson(b: StoredBlock) {
  return {
    header: headerJson(b.header),
    data: { txs: b.txs.map(b64) },
    evidence: { evidence: [] },
    last_commit: lastCommitJson(b.header),
  };
}

export function blockResponseJson(b: StoredBlock) {
  return { block_id: blockIdJson(b.hash), block: blockJson(b) };
}

export function blockMetaJson(b: StoredBlock) {
  return {
    block_id: blockIdJson(b.hash),
    block_size: b.size.toString(),
    header: headerJson(b.header),
    num_txs: b.txs.length.toString(),
  };
}

export function blockResultsJson(
  height: bigint,
  appHash: string,
  txs: readonly TxResult[],
  begin: readonly AbciEvent[],
  end: readonly AbciEvent[],
) {
  return {
    height: height.toString(),
    txs_results: txs.map(txResultJson),
    // CometBFT writes empty lists here as null (Go nil slices); so do we.
    finalize_block_events: begin.length + end.length > 0 ? eventsJson([...begin, ...end]) : null,
    validator_updates: null,
    consensus_param_updates: null,
    app_hash: Buffer.from(appHash, "hex").toString("base64"),
  };
}

export function txJson(t: StoredTx) {
  return {
    hash: t.hash,
    height: t.height.toString(),
    index: t.index,
    tx_result: txResultJson(t.result),
    tx: b64(t.tx),
  };
}

/** The composite-key attributes a tx is indexed and matched by: tx.hash, tx.height and `type.key`. */
export function txAttributes(hash: string, height: bigint, result: TxResult): Map<string, string[]> {
  const attrs = new Map<string, string[]>([
    ["tm.event", ["Tx"]],
    ["tx.hash", [hash]],
    ["tx.height", [height.toString()]],
  ]);
  for (const e of result.events) {
    for (const a of e.attributes) {
      const key = `${e.type}.${a.key}`;
      const list = attrs.get(key);
      if (list) list.push(a.value);
      else attrs.set(key, [a.value]);
    }
  }
  return attrs;
}

export function blockAttributes(c: CommittedBlock, type: "NewBlock" | "NewBlockHeader"): Map<string, string[]> {
  const attrs = new Map<string, string[]>([
    ["tm.event", [type]],
    ["block.height", [c.block.height.toString()]],
  ]);
  for (const e of [...c.beginEvents, ...c.endEvents]) {
    for (const a of e.attributes) {
      const key = `${e.type}.${a.key}`;
      attrs.set(key, [...(attrs.get(key) ?? []), a.value]);
    }
  }
  return attrs;
}

export const attributesObject = (attrs: Map<string, string[]>): Record<string, string[]> => Object.fromEntries(attrs);
