import { toBech32 } from "@cosmjs/encoding";
import { expect } from "vitest";
import {
  type BlockContext,
  ChainError,
  defaultParams,
  defaultTiming,
  deliverMsg,
  initGenesis,
  type KVStore,
  type MsgResult,
  memoryStore,
} from "../../src/chain/index.js";
import { sha256, toHex } from "../../src/core/index.js";
import type { GenesisState } from "../../src/gen/pocval/v1/genesis.js";
import { MsgCommitArtifacts, MsgRegisterParticipant, MsgSubmitVotes } from "../../src/gen/pocval/v1/tx.js";
import { Reason, Verdict, type Vote } from "../../src/gen/pocval/v1/types.js";

const utf8 = new TextEncoder();

/** A deterministic pocval address for a name. */
export const address = (name: string): string => toBech32("pocval", sha256(utf8.encode(name)).slice(0, 20));

/** The hash a test chain gives to height h. */
export const fakeHash = (h: bigint): string => toHex(sha256(utf8.encode(`block ${h}`)));

/** Executing block `height`: earlier blocks have hashes, later ones do not yet. */
export const ctxAt = (height: bigint): BlockContext => ({
  height,
  blockHash: (h) => (h >= 1n && h < height ? fakeHash(h) : undefined),
});

/** Every entry of a store as hex, to compare whole states. */
export function dump(store: KVStore): string[] {
  return [...store.iterate(new Uint8Array())].map(([k, v]) => `${toHex(k)}=${toHex(v)}`);
}

export const root = (seed: number): Uint8Array => sha256(Uint8Array.of(seed));

export const authority = address("authority");
export const validatorStakes: ReadonlyArray<[string, string]> = [
  [address("validator-0"), "40"],
  [address("validator-1"), "30"],
  [address("validator-2"), "20"],
  [address("validator-3"), "10"],
];
export const [v0, v1, v2, v3] = validatorStakes.map(([a]) => a) as [string, string, string, string];
export const participantsList = [0, 1, 2, 3, 4].map((i) => address(`participant-${i}`));
export const [p0, p1, p2, p3, p4] = participantsList as [string, string, string, string, string];

/** Genesis with four validators (40/30/20/10), no participants, default params and timing (stages at 2, 32, ...). */
export function baseGenesis(): GenesisState {
  return {
    params: defaultParams(),
    timing: defaultTiming(),
    authority,
    validators: validatorStakes.map(([a, stake]) => ({ address: a, stake })),
    participants: [],
    commitments: [],
    votes: [],
    tallies: [],
    snapshots: [],
    finalizedStages: [],
  };
}

export function freshStore(g: GenesisState = baseGenesis()): KVStore {
  const store = memoryStore();
  initGenesis(store, g);
  return store;
}

export const register = (store: KVStore, height: bigint, creator: string): MsgResult =>
  deliverMsg(
    store,
    ctxAt(height),
    "/pocval.v1.MsgRegisterParticipant",
    MsgRegisterParticipant.encode({
      creator,
      pocPublicKey: `key-of-${creator}`,
      proofApiUrl: "http://127.0.0.1:9000",
    }).finish(),
  );

export const commit = (
  store: KVStore,
  height: bigint,
  creator: string,
  stageHeight: bigint,
  count: bigint,
  rootHash = root(1),
) =>
  deliverMsg(
    store,
    ctxAt(height),
    "/pocval.v1.MsgCommitArtifacts",
    MsgCommitArtifacts.encode({ creator, stageHeight, count, rootHash }).finish(),
  );

export function aVote(
  participant: string,
  verdict: Verdict = Verdict.VERDICT_HONEST,
  overrides: Partial<Vote> = {},
): Vote {
  return {
    participant,
    verdict,
    reason: Reason.REASON_STAT_TEST,
    checked: 200,
    mismatches: verdict === Verdict.VERDICT_CHEATER ? 40 : 3,
    pValue: verdict === Verdict.VERDICT_CHEATER ? "1e-12" : "0.76",
    evidenceHash: root(7),
    ...overrides,
  };
}

export const submitVotes = (store: KVStore, height: bigint, creator: string, stageHeight: bigint, votes: Vote[]) =>
  deliverMsg(
    store,
    ctxAt(height),
    "/pocval.v1.MsgSubmitVotes",
    MsgSubmitVotes.encode({ creator, stageHeight, votes }).finish(),
  );

/** Asserts that run throws a ChainError with code whose log names every fragment, and that the store did not change. */
export function expectRejected(store: KVStore, run: () => unknown, code: number, fragments: string[] = []): ChainError {
  const before = dump(store);
  let error: unknown;
  try {
    run();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ChainError);
  const chainError = error as ChainError;
  expect({ code: chainError.code, log: chainError.log }).toMatchObject({ code });
  for (const fragment of fragments) expect(chainError.log).toContain(fragment);
  expect(chainError.codespace).toBe("pocval");
  expect(dump(store)).toEqual(before);
  return chainError;
}

/** Attribute map of an event. */
export const attrs = (e: { attributes: { key: string; value: string }[] }): Record<string, string> =>
  Object.fromEntries(e.attributes.map((a) => [a.key, a.value]));
