// A participant's page: its tallies over the recent stages.
import { api } from "./api.js";
import { Status, useLoad } from "./load.js";
import { quorumFraction, TallyTable } from "./tallies.js";

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
      <TallyTable
        rows={p.stages.map((tally) => ({ tally, quorum: quorumFraction(tally.quorum) }))}
        caption="Tallies across stages, oldest first"
        testId="history"
        headTitle="stage"
        head={(t) => <a href={`#/stage/${t.stage_height}`}>{t.stage_height}</a>}
      />
      {p.stages.length === 0 && <p>No tallied stage yet.</p>}
    </section>
  );
}
