import { api } from "./api.js";
import { percent } from "./format.js";
import { Status, useLoad } from "./load.js";
import { StakeBar } from "./stage.js";

export function ParticipantPage(props: { address: string; liveHeight: string | undefined }) {
  const loaded = useLoad(() => api.participant(props.address), [props.address, props.liveHeight]);
  if (loaded.state !== "ok") return <Status loaded={loaded} what={`participant ${props.address}`} />;
  const p = loaded.data;
  const convictions = p.stages.filter((s) => s.convicted).length;
  return (
    <section aria-labelledby="participant-title" data-testid="participant">
      <h1 id="participant-title" class="address">
        Participant {p.participant}
      </h1>
      <p class="hint">
        Registered at height {p.registered_height}; proof API {p.proof_api_url}. Convicted in {convictions} of{" "}
        {p.stages.length} tallied stages shown.
      </p>
      <div class="scroll">
        <table class="history" data-testid="history">
          <caption class="sr-only">Tallies across stages, oldest first</caption>
          <thead>
            <tr>
              <th scope="col">stage</th>
              <th scope="col">count</th>
              <th scope="col" class="barcol">
                stake
              </th>
              <th scope="col">cheater</th>
              <th scope="col">honest</th>
              <th scope="col">abstain</th>
              <th scope="col">verdict</th>
              <th scope="col">reasons</th>
            </tr>
          </thead>
          <tbody>
            {p.stages.map((t) => (
              <tr key={t.stage_height} data-stage={t.stage_height}>
                <th scope="row">
                  <a href={`#/stage/${t.stage_height}`}>{t.stage_height}</a>
                </th>
                <td>{t.count}</td>
                <td class="barcol">
                  <StakeBar tally={t} quorum={0.5} />
                </td>
                <td>{percent(t.cheater_share)}</td>
                <td>{percent(t.honest_share)}</td>
                <td>{percent(t.abstain_share)}</td>
                <td>
                  <span class={t.convicted ? "verdict convicted" : "verdict cleared"}>
                    {t.convicted ? "CONVICTED" : "cleared"}
                  </span>
                </td>
                <td>{t.reasons.join(", ") || "–"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {p.stages.length === 0 && <p>No tallied stage yet.</p>}
    </section>
  );
}
