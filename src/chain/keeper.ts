// Typed access to the module's records; values are protobuf bytes of the generated types.

import type { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import { kCrit } from "../core/index.js";
import { Params, StageTiming } from "../gen/pocval/v1/params.js";
import { Commitment, Participant, StakeSnapshot, Tally, Validator, VoteRecord } from "../gen/pocval/v1/types.js";
import { ChainError, ErrorCode } from "./errors.js";
import { keys, stageOfKey } from "./keys.js";
import type { KVStore } from "./store.js";

interface Codec<T> {
  encode(message: T, writer?: BinaryWriter): BinaryWriter;
  decode(input: BinaryReader | Uint8Array, length?: number): T;
}

function read<T>(store: KVStore, codec: Codec<T>, key: Uint8Array): T | undefined {
  const bytes = store.get(key);
  return bytes === undefined ? undefined : codec.decode(bytes);
}

function write<T>(store: KVStore, codec: Codec<T>, key: Uint8Array, value: T): void {
  store.set(key, codec.encode(value).finish());
}

function* values<T>(store: KVStore, codec: Codec<T>, prefix: Uint8Array): Generator<T> {
  for (const [, bytes] of store.iterate(prefix)) yield codec.decode(bytes);
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined)
    throw new ChainError(ErrorCode.NotInitialized, `the pocval module has no ${what}: init genesis first`);
  return value;
}

export const getParams = (store: KVStore): Params => required(read(store, Params, keys.params()), "params");

/**
 * Stores params together with their exact k_crit(sample_size) (docs/protocol.md, Version 2): computed
 * once when params are set (genesis, MsgUpdateParams), read by every vote check and the params query.
 * The caller has validated the params.
 */
export function setParams(store: KVStore, params: Params): void {
  write(store, Params, keys.params(), params);
  const k = new Uint8Array(4);
  new DataView(k.buffer).setUint32(0, kCrit(params.sampleSize, params.fpRate, params.alpha), false);
  store.set(keys.kCrit(), k);
}

/** k_crit(sample_size) of the params in effect. */
export function getKCrit(store: KVStore): number {
  const bytes = required(store.get(keys.kCrit()), "k_crit");
  return new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, false);
}
export const getTiming = (store: KVStore): StageTiming =>
  required(read(store, StageTiming, keys.timing()), "stage timing");
export const setTiming = (store: KVStore, timing: StageTiming): void =>
  write(store, StageTiming, keys.timing(), timing);

export function getAuthority(store: KVStore): string {
  const bytes = required(store.get(keys.authority()), "authority");
  return new TextDecoder().decode(bytes);
}
export const setAuthority = (store: KVStore, authority: string): void =>
  store.set(keys.authority(), new TextEncoder().encode(authority));

export const setValidator = (store: KVStore, v: Validator): void =>
  write(store, Validator, keys.validator(v.address), v);
export const validators = (store: KVStore): Generator<Validator> => values(store, Validator, keys.validators());

export const getParticipant = (store: KVStore, address: string): Participant | undefined =>
  read(store, Participant, keys.participant(address));
export const setParticipant = (store: KVStore, p: Participant): void =>
  write(store, Participant, keys.participant(p.address), p);
export const participants = (store: KVStore): Generator<Participant> => values(store, Participant, keys.participants());

/** The last commitment of a participant in a stage; its height serves the one-commit-per-block rule. */
export const getCommitment = (store: KVStore, stage: bigint, participant: string): Commitment | undefined =>
  read(store, Commitment, keys.commitment(stage, participant));
export const setCommitment = (store: KVStore, c: Commitment): void =>
  write(store, Commitment, keys.commitment(c.stageHeight, c.participant), c);
export const commitments = (store: KVStore, stage?: bigint): Generator<Commitment> =>
  values(store, Commitment, stage === undefined ? keys.allCommitments() : keys.commitments(stage));

export const hasVote = (store: KVStore, stage: bigint, participant: string, validator: string): boolean =>
  store.get(keys.vote(stage, participant, validator)) !== undefined;
function setVote(store: KVStore, record: VoteRecord): void {
  const participant = record.vote?.participant ?? "";
  write(store, VoteRecord, keys.vote(record.stageHeight, participant, record.validator), record);
}
export const votes = (store: KVStore): Generator<VoteRecord> => values(store, VoteRecord, keys.allVotes());

/**
 * The ballot of a participant in a stage: one byte per validator of the stage's stake snapshot
 * (in snapshot order) holding its verdict, 0 where it has not voted. It duplicates the vote
 * records so the end-of-stage tally reads one small value per participant instead of decoding
 * every vote.
 */
export const getBallot = (store: KVStore, stage: bigint, participant: string): Uint8Array | undefined =>
  store.get(keys.ballot(stage, participant));

/**
 * Stores a vote and marks it on the participant's ballot. voterIndex is the validator's position in
 * the stage's stake snapshot of snapshotSize validators. The caller has checked the vote is allowed.
 */
export function recordVote(store: KVStore, record: VoteRecord, voterIndex: number, snapshotSize: number): void {
  const participant = record.vote?.participant ?? "";
  setVote(store, record);
  const key = keys.ballot(record.stageHeight, participant);
  const ballot = store.get(key) ?? new Uint8Array(snapshotSize);
  ballot[voterIndex] = record.vote?.verdict ?? 0;
  store.set(key, ballot);
}

export const getSnapshot = (store: KVStore, stage: bigint): StakeSnapshot | undefined =>
  read(store, StakeSnapshot, keys.snapshot(stage));
export const setSnapshot = (store: KVStore, s: StakeSnapshot): void =>
  write(store, StakeSnapshot, keys.snapshot(s.stageHeight), s);
export const snapshots = (store: KVStore): Generator<StakeSnapshot> =>
  values(store, StakeSnapshot, keys.allSnapshots());

export const getTally = (store: KVStore, stage: bigint, participant: string): Tally | undefined =>
  read(store, Tally, keys.tally(stage, participant));
export const setTally = (store: KVStore, t: Tally): void =>
  write(store, Tally, keys.tally(t.stageHeight, t.participant), t);
export const tallies = (store: KVStore): Generator<Tally> => values(store, Tally, keys.allTallies());

export const isFinalized = (store: KVStore, stage: bigint): boolean => store.get(keys.finalized(stage)) !== undefined;
export const setFinalized = (store: KVStore, stage: bigint): void => store.set(keys.finalized(stage), Uint8Array.of(1));
export function* finalizedStages(store: KVStore): Generator<bigint> {
  for (const [k] of store.iterate(keys.allFinalized())) yield stageOfKey(k);
}
