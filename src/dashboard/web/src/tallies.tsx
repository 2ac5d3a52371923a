// The one tally table of the page (stage and participant pages) and its stake bar.
import type { ComponentChildren } from "preact";
import type { TallyView } from "./api.js";
import { percent } from "./format.js";

/** A tally row with the quorum (a fraction of stake) it was judged against. */
export interface TallyRow {
  tally: TallyView;
  quorum: number;
}

/**
 * The one tally table of the page: a stage's participants, or one participant's stages. Only the
 * first column differs (what each row is), given by `head`.
 */
export function TallyTable(props: {
  rows: readonly TallyRow[];
  caption: string;
  testId: string;
  headTitle: string;
  head: (t: TallyView) => ComponentChildren;
}) {
  return (
    <div class="scroll">
      <table class={props.testId} data-testid={props.testId}>
        <caption class="sr-only">{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">{props.headTitle}</th>
            <th scope="col">count</th>
            <th scope="col" class="barcol">
              stake
            </th>
            <th scope="col">cheater</th>
            <th scope="col">honest</th>
            <th scope="col">abstain</th>
            <th scope="col">verdict</th>
            <th scope="col">decided</th>
            <th scope="col">reasons</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.map(({ tally: t, quorum }) => (
            <tr
              key={`${t.stage_height}/${t.participant}`}
              data-stage={t.stage_height}
              data-participant={t.participant}
              data-convicted={String(t.convicted)}
            >
              <th scope="row">{props.head(t)}</th>
              <td>{t.count}</td>
              <td class="barcol">
                <StakeBar tally={t} quorum={quorum} />
              </td>
              <td data-field="cheater_share">{percent(t.cheater_share)}</td>
              <td data-field="honest_share">{percent(t.honest_share)}</td>
              <td data-field="abstain_share">{percent(t.abstain_share)}</td>
              <td data-field="verdict">
                <span class={t.convicted ? "verdict convicted" : "verdict cleared"}>
                  {t.convicted ? "CONVICTED" : "cleared"}
                </span>
              </td>
              <td data-field="decided" data-final={String(t.is_final)}>
                {t.decided_height === "0" ? "–" : `at ${t.decided_height}${t.is_final ? "" : " (not final)"}`}
              </td>
              <td data-field="reasons">{t.reasons.join(", ") || "–"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A quorum sent as a fraction of integers, as a number for drawing. */
export const quorumFraction = (q: { num: string; den: string }) => Number(q.num) / Number(q.den);

/** Cheater, honest and abstain stake as one stacked bar, with the quorum line. */
export function StakeBar(props: { tally: TallyView; quorum: number }) {
  const t = props.tally;
  return (
    <div
      class="bar"
      role="img"
      aria-label={`cheater ${percent(t.cheater_share)}, honest ${percent(t.honest_share)}, abstain ${percent(t.abstain_share)}`}
    >
      <span class="seg cheater" style={{ width: percent(t.cheater_share) }} />
      <span class="seg honest" style={{ width: percent(t.honest_share) }} />
      <span class="seg abstain" style={{ width: percent(t.abstain_share) }} />
      <span class="quorum" style={{ left: percent(props.quorum) }} title="quorum" />
    </div>
  );
}
