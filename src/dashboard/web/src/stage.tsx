// A stage's page: its tallies, votes and the commands that re-derive them.
import { useState } from "preact/hooks";
import { api, type StageView, type VoteView } from "./api.js";
import { percent, phaseLabel, shortAddress, shortP } from "./format.js";
import { Status, useLoad } from "./load.js";
import { quorumFraction, TallyTable } from "./tallies.js";

const FAULT_REASONS = new Set(["INVALID_PROOF", "BAD_NONCE", "BAD_VECTOR"]);

/** The commands that re-derive a vote's sample (and check its evidence, for a fault vote). */
function VoteDetail(props: { vote: VoteView; stage: StageView; count: string | undefined }) {
  const v = props.vote;
  const s = props.stage;
  const n = props.count === undefined ? s.sample_size : Math.min(s.sample_size, Number(props.count));
  const sample =
    `pocval sample --stage-height ${s.stage.stage_height} --sampling-block-hash ${s.sampling_block_hash}` +
    ` --validator ${v.validator} --participant ${v.participant} --count ${props.count ?? "N"} --size ${n}`;
  const evidence =
    `curl "http://<validator metrics host:port>/evidence?stage_height=${s.stage.stage_height}&participant=${v.participant}"` +
    " > evidence.json && pocval audit --evidence evidence.json";
  return (
    <section class="detail" aria-labelledby="vote-detail-title" data-testid="vote-detail">
      <h3 id="vote-detail-title">
        Vote of <a href={`#/validator/${v.validator}`}>{shortAddress(v.validator)}</a> on{" "}
        <a href={`#/participant/${v.participant}`}>{shortAddress(v.participant)}</a>
      </h3>
      <p>
        {v.verdict} ({v.reason}), {v.mismatches} mismatches of {v.checked} checked, p-value {v.p_value || "–"}, at
        height {v.height}
        {v.against_final ? "; against the final verdict" : ""}.
      </p>
      <p>Re-derive its sample:</p>
      <CopyCode text={sample} />
      {FAULT_REASONS.has(v.reason) && (
        <>
          <p>Check its evidence (signed proof answer, served by the validator's sidecar):</p>
          <CopyCode text={evidence} />
        </>
      )}
    </section>
  );
}

function CopyCode(props: { text: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div class="copy">
      <code>{props.text}</code>
      <button
        type="button"
        onClick={() =>
          navigator.clipboard?.writeText(props.text).then(
            () => setCopied(true),
            () => setCopied(false),
          )
        }
      >
        {copied ? "copied" : "copy"}
      </button>
    </div>
  );
}

function VoteMatrix(props: { stage: StageView }) {
  const s = props.stage;
  const [selected, setSelected] = useState<VoteView | undefined>();
  const byPair = new Map(s.votes.map((v) => [`${v.validator} ${v.participant}`, v]));
  const counts = new Map(s.tallies.map((t) => [t.participant, t.count]));
  return (
    <>
      <p class="hint">
        Votes: one row per validator of the snapshot, one column per participant. ✗ marks a vote against the final
        verdict. Select a cell for the commands that re-derive it.
      </p>
      <div class="scroll">
        <table class="matrix" data-testid="matrix">
          <caption class="sr-only">
            Votes: one row per validator of the snapshot, one column per participant. ✗ marks a vote against the final
            verdict. Select a cell for the commands that re-derive it.
          </caption>
          <thead>
            <tr>
              <th scope="col">validator (stake)</th>
              {s.participants.map((p) => (
                <th scope="col" key={p} title={p}>
                  <a href={`#/participant/${p}`}>{shortAddress(p)}</a>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {s.validators.map((val) => (
              <tr key={val.address}>
                <th scope="row" title={val.address}>
                  <a href={`#/validator/${val.address}`}>{shortAddress(val.address)}</a>{" "}
                  <span class="muted">{percent(val.share)}</span>
                </th>
                {s.participants.map((p) => {
                  const v = byPair.get(`${val.address} ${p}`);
                  if (val.address === p)
                    return (
                      <td key={p} class="self" data-validator={val.address} data-participant={p} data-verdict="SELF">
                        self
                      </td>
                    );
                  if (!v)
                    return (
                      <td
                        key={p}
                        class="abstain"
                        data-validator={val.address}
                        data-participant={p}
                        data-verdict="ABSTAIN"
                      >
                        –
                      </td>
                    );
                  return (
                    <td
                      key={p}
                      class={`vote ${v.verdict.toLowerCase()}${v.against_final ? " against" : ""}`}
                      data-validator={val.address}
                      data-participant={p}
                      data-verdict={v.verdict}
                      data-reason={v.reason}
                      data-checked={v.checked}
                      data-mismatches={v.mismatches}
                      data-p-value={v.p_value}
                      data-against={v.against_final ? "true" : "false"}
                    >
                      <button
                        type="button"
                        aria-pressed={selected === v}
                        aria-label={`${v.verdict} ${v.reason}, ${v.mismatches} of ${v.checked}, p ${v.p_value}${v.against_final ? ", against the final verdict" : ""}`}
                        onClick={() => setSelected(v)}
                      >
                        {v.against_final && <span class="against-mark">✗ </span>}
                        {v.verdict === "CHEATER" ? "C" : "H"}
                        {v.reason !== "STAT_TEST" ? ` ${v.reason}` : ""} {v.mismatches}/{v.checked}
                        <br />
                        <span class="muted">p {shortP(v.p_value)}</span>
                      </button>
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {selected && <VoteDetail vote={selected} stage={s} count={counts.get(selected.participant)} />}
    </>
  );
}

export function TalliesTable(props: { stage: StageView }) {
  const s = props.stage;
  const quorum = quorumFraction(s.quorum);
  const caption = `Tallies: cheater / honest / abstain stake, with the quorum at ${percent(quorum)}.`;
  return (
    <>
      <p class="hint">{caption}</p>
      <TallyTable
        rows={s.tallies.map((tally) => ({ tally, quorum }))}
        caption={caption}
        testId="tallies"
        headTitle="participant"
        head={(t) => (
          <a href={`#/participant/${t.participant}`} title={t.participant}>
            {shortAddress(t.participant)}
          </a>
        )}
      />
    </>
  );
}

export function StagePage(props: { height: string; liveHeight: string | undefined }) {
  // A stage still open changes every block; a final one never does (the server caches it).
  const loaded = useLoad(() => api.stage(props.height), [props.height, props.liveHeight]);
  if (loaded.state !== "ok") return <Status loaded={loaded} what={`stage ${props.height}`} />;
  const s = loaded.data;
  return (
    <section aria-labelledby="stage-title" data-testid="stage" data-stage={s.stage.stage_height}>
      <h1 id="stage-title">
        Stage {s.stage.stage_height} <span class={`phase phase-${s.stage.phase}`}>{phaseLabel[s.stage.phase]}</span>
      </h1>
      <p class="hint">
        Commit {s.stage.stage_height}–{s.stage.commit_end_height}, sampling at {s.stage.sampling_height}
        {s.sampling_block_hash ? ` (block hash ${s.sampling_block_hash.slice(0, 16)}…)` : ""}, validation{" "}
        {s.stage.validation_start_height}–{s.stage.validation_end_height}. {s.validators.length} validators,{" "}
        {s.participants.length} participants committed.
      </p>
      <h2>Tallies</h2>
      {s.tallies.length > 0 ? (
        <TalliesTable stage={s} />
      ) : (
        <p>
          No tally decided yet: each is decided once no vote can change its verdict, at the latest at the end of height{" "}
          {s.stage.validation_end_height}.
        </p>
      )}
      <h2>Votes</h2>
      {s.votes.length === 0 && !s.stage.finalized ? <p>No votes yet.</p> : <VoteMatrix stage={s} />}
    </section>
  );
}
