// One stage of the agent: its store and inputs, and the state of its generation and commits.
import type { StageInfo } from "../gen/pocval/v1/types.js";
import type { StageInputs } from "./compute.js";
import type { ArtifactStore } from "./store.js";

export interface StageRun {
  stageHeight: number;
  info: StageInfo;
  store: ArtifactStore;
  inputs: StageInputs;
  /** Count of the last commit the chain accepted in this stage. */
  committedCount: number;
  /** Chain height observed when the last commit was sent: at most one commit per block. */
  lastSentAt: bigint;
  committing: boolean;
  computed: number;
  commits: number;
  done: boolean;
  generation: Promise<void>;
}
