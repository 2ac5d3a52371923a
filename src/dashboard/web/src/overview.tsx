// The overview page: the current stage's windows and the recent stages.
import type { OverviewView, StageSummary } from "./api.js";
import { phaseLabel } from "./format.js";

/** The current stage's windows as one bar, with the chain's height marked. */
function Timeline(props: { stage: StageSummary; height: bigint }) {
  const s = props.stage;
  const start = Number(s.stage_height);
  const end = Number(s.validation_end_height);
  const span = Math.max(1, end - start + 1);
  const x = (h: number) => ((h - start) / span) * 100;
  const now = Math.min(Math.max(Number(props.height), start), end + 1);
  return (
    <figure class="timeline" aria-label={`stage ${s.stage_height} timeline`}>
      <svg viewBox="0 0 100 14" preserveAspectRatio="none" role="img" aria-hidden="true">
        <rect x={0} y={2} width={x(Number(s.commit_end_height) + 1)} height={8} class="w-commit" />
        <rect
          x={x(Number(s.sampling_height))}
          y={2}
          width={x(Number(s.sampling_height) + 1) - x(Number(s.sampling_height))}
          height={8}
          class="w-sampling"
        />
        <rect
          x={x(Number(s.validation_start_height))}
          y={2}
          width={100 - x(Number(s.validation_start_height))}
          height={8}
          class="w-validation"
        />
        <line x1={x(now)} x2={x(now)} y1={0} y2={14} class="now" />
      </svg>
      <figcaption>
        <span class="key w-commit">
          commit {s.stage_height}–{s.commit_end_height}
        </span>
        <span class="key w-sampling">sampling {s.sampling_height}</span>
        <span class="key w-validation">
          validation {s.validation_start_height}–{s.validation_end_height}
        </span>
        <span class="key now">height {String(props.height)}</span>
      </figcaption>
    </figure>
  );
}

export function OverviewPage(props: { overview: OverviewView | null }) {
  const o = props.overview;
  if (!o) return <p aria-busy="true">Waiting for the node…</p>;
  const current = o.stages[0];
  return (
    <section aria-labelledby="stages-title">
      <h1 id="stages-title">Stages</h1>
      {current && <Timeline stage={current} height={BigInt(o.current_height)} />}
      <p class="hint">
        Stage length {o.timing.stage_length} blocks (commit {o.timing.commit_window}, validation{" "}
        {o.timing.validation_window}); sample size {o.params.sample_size}, distance threshold {o.params.dist_threshold}.
      </p>
      <div class="scroll">
        <table class="stages" data-testid="stages">
          <caption class="sr-only">The most recent stages, newest first</caption>
          <thead>
            <tr>
              <th scope="col">stage</th>
              <th scope="col">commit window</th>
              <th scope="col">sampling</th>
              <th scope="col">validation window</th>
              <th scope="col">status</th>
            </tr>
          </thead>
          <tbody>
            {o.stages.map((s) => (
              <tr key={s.stage_height} data-stage={s.stage_height} data-phase={s.phase}>
                <th scope="row">
                  <a href={`#/stage/${s.stage_height}`}>{s.stage_height}</a>
                </th>
                <td>
                  {s.stage_height}–{s.commit_end_height}
                </td>
                <td>{s.sampling_height}</td>
                <td>
                  {s.validation_start_height}–{s.validation_end_height}
                </td>
                <td>
                  <span class={`phase phase-${s.phase}`}>{phaseLabel[s.phase]}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {o.stages.length === 0 && <p>No stage has started yet.</p>}
    </section>
  );
}
