// The JSON shapes of the dashboard API, shared by the server (views.ts) and the page (web/).
// No imports: the page type-checks this file without Node's types.

export type Phase = "commit" | "sampling" | "validation" | "tallying" | "final";

export interface StageSummary {
  stage_height: string;
  commit_end_height: string;
  sampling_height: string;
  validation_start_height: string;
  validation_end_height: string;
  finalized: boolean;
  phase: Phase;
}

export interface TallyView {
  stage_height: string;
  participant: string;
  count: string;
  total_stake: string;
  cheater_stake: string;
  honest_stake: string;
  abstain_stake: string;
  cheater_share: number;
  honest_share: number;
  abstain_share: number;
  convicted: boolean;
  weight: string;
  cheater_votes: number;
  honest_votes: number;
  slots: number;
  cheater_slots: number;
  honest_slots: number;
  abstain_slots: number;
  /** The height from which no possible vote could change the verdict (docs/protocol.md, decided tallies). */
  decided_height: string;
  /** The numbers count every vote (the window has passed); false for a tally decided early. */
  is_final: boolean;
  /** Distinct reasons of the cheater votes, sorted (as the localnet report prints them). */
  reasons: string[];
}

export interface VoteView {
  validator: string;
  participant: string;
  /** core/names.ts: the proto name without VERDICT_ (a counted vote is HONEST or CHEATER). */
  verdict: "UNSPECIFIED" | "HONEST" | "CHEATER" | "UNRECOGNIZED";
  reason: string;
  checked: number;
  mismatches: number;
  p_value: string;
  height: string;
  /** The vote differs from the final verdict of a tallied participant. */
  against_final: boolean;
}

export interface StageView {
  stage: StageSummary;
  sampling_block_hash: string;
  sample_size: number;
  quorum: { num: string; den: string };
  total_stake: string;
  validators: { address: string; stake: string; share: number }[];
  participants: string[];
  tallies: TallyView[];
  votes: VoteView[];
}

export interface OverviewView {
  current_height: string;
  timing: { stage_length: string; stage_offset: string; commit_window: string; validation_window: string };
  params: {
    sample_size: number;
    alpha: string;
    fp_rate: string;
    dist_threshold: string;
    quorum: string;
    /** Version 3's early acceptance rate; "" when off. */
    acceptance_rate: string;
  };
  stages: StageSummary[];
}

export interface ParticipantHistoryView {
  participant: string;
  proof_api_url: string;
  registered_height: string;
  /** Each tally with the quorum of its stage (what its verdict was judged against). */
  stages: (TallyView & { quorum: { num: string; den: string } })[];
}

export interface ValidatorHistoryView {
  validator: string;
  stages: {
    stage_height: string;
    stake: string;
    share: number;
    votes: VoteView[];
    abstained_on: string[];
  }[];
  votes_cast: number;
  abstentions: number;
  against_final: number;
  /** against_final / votes on tallied participants (0 when none). */
  disagreement_rate: number;
}
