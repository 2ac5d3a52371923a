// A validator's page: its votes over the recent stages.
import { api } from "./api.js";
import { percent, shortAddress, shortP } from "./format.js";
import { Status, useLoad } from "./load.js";

export function ValidatorPage(props: { address: string; liveHeight: string | undefined }) {
  const loaded = useLoad(() => api.validator(props.address), [props.address, props.liveHeight]);
  if (loaded.state !== "ok") return <Status loaded={loaded} what={`validator ${props.address}`} />;
  const v = loaded.data;
  return (
    <section aria-labelledby="validator-title" data-testid="validator">
      <h1 id="validator-title" class="address">
        Validator {v.validator}
      </h1>
      <dl class="facts">
        <div>
          <dt>votes cast</dt>
          <dd data-field="votes_cast">{v.votes_cast}</dd>
        </div>
        <div>
          <dt>abstentions</dt>
          <dd data-field="abstentions">{v.abstentions}</dd>
        </div>
        <div>
          <dt>against the final verdict</dt>
          <dd data-field="against_final">{v.against_final}</dd>
        </div>
        <div>
          <dt>disagreement rate</dt>
          <dd data-field="disagreement_rate">{percent(v.disagreement_rate)}</dd>
        </div>
      </dl>
      <p class="hint">Its votes in the tallied stages shown, oldest first</p>
      <div class="scroll">
        <table class="history" data-testid="validator-votes">
          <caption class="sr-only">Its votes in the tallied stages shown, oldest first</caption>
          <thead>
            <tr>
              <th scope="col">stage</th>
              <th scope="col">stake</th>
              <th scope="col">participant</th>
              <th scope="col">verdict</th>
              <th scope="col">reason</th>
              <th scope="col">mismatches</th>
              <th scope="col">p-value</th>
            </tr>
          </thead>
          <tbody>
            {v.stages.flatMap((s) => [
              ...s.votes.map((vote) => (
                <tr key={`${s.stage_height} ${vote.participant}`} class={vote.against_final ? "against" : ""}>
                  <th scope="row">
                    <a href={`#/stage/${s.stage_height}`}>{s.stage_height}</a>
                  </th>
                  <td>{percent(s.share)}</td>
                  <td title={vote.participant}>
                    <a href={`#/participant/${vote.participant}`}>{shortAddress(vote.participant)}</a>
                  </td>
                  <td>
                    {vote.against_final && <span class="against-mark">✗ </span>}
                    {vote.verdict}
                  </td>
                  <td>{vote.reason}</td>
                  <td>
                    {vote.mismatches}/{vote.checked}
                  </td>
                  <td title={vote.p_value}>{shortP(vote.p_value)}</td>
                </tr>
              )),
              ...s.abstained_on.map((p) => (
                <tr key={`${s.stage_height} ${p} abstain`} class="abstain">
                  <th scope="row">
                    <a href={`#/stage/${s.stage_height}`}>{s.stage_height}</a>
                  </th>
                  <td>{percent(s.share)}</td>
                  <td title={p}>
                    <a href={`#/participant/${p}`}>{shortAddress(p)}</a>
                  </td>
                  <td>ABSTAIN</td>
                  <td>–</td>
                  <td>–</td>
                  <td>–</td>
                </tr>
              )),
            ])}
          </tbody>
        </table>
      </div>
    </section>
  );
}
