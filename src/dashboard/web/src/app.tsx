// The page's shell: the hash routes, the live banner and which page to show.
import { useEffect, useState } from "preact/hooks";
import { followLive, type LiveState } from "./api.js";
import { percent } from "./format.js";
import { NotFound } from "./load.js";
import { OverviewPage } from "./overview.js";
import { ParticipantPage } from "./participant.js";
import { StagePage } from "./stage.js";
import { ValidatorPage } from "./validator.js";

export type Route =
  | { page: "overview" }
  | { page: "stage"; height: string }
  | { page: "participant"; address: string }
  | { page: "validator"; address: string }
  | { page: "unknown"; path: string };

/** Hash routes: #/, #/stage/H, #/participant/ADDR, #/validator/ADDR. */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, "") || "/";
  const parts = path.split("/").filter(Boolean);
  if (parts.length === 0) return { page: "overview" };
  if (parts.length === 2 && parts[0] === "stage") return { page: "stage", height: decodeURIComponent(parts[1]!) };
  if (parts.length === 2 && parts[0] === "participant")
    return { page: "participant", address: decodeURIComponent(parts[1]!) };
  if (parts.length === 2 && parts[0] === "validator")
    return { page: "validator", address: decodeURIComponent(parts[1]!) };
  return { page: "unknown", path };
}

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onHash = () => {
      setRoute(parseRoute(location.hash));
      window.scrollTo(0, 0);
    };
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);
  return route;
}

export function App() {
  const route = useRoute();
  const [live, setLive] = useState<LiveState | null>(null);
  const [feed, setFeed] = useState(true);
  useEffect(() => followLive(setLive, setFeed), []);
  const overview = live?.overview ?? null;
  const height = overview?.current_height;
  return (
    <>
      <header class="top">
        <a class="brand" href="#/">
          pocval governance
        </a>
        <span class="height" aria-live="polite">
          {height ? `height ${height}` : "…"}
          {overview
            ? ` · fp_rate ${overview.params.fp_rate} · alpha ${overview.params.alpha} · quorum ${overview.params.quorum}`
            : ""}
          {overview?.params.acceptance_rate ? ` · early acceptance ${overview.params.acceptance_rate}` : ""}
        </span>
      </header>
      {!feed && (
        <div class="banner" role="alert" data-testid="server-banner">
          The dashboard server is unreachable; reconnecting…
        </div>
      )}
      {live && !live.up && (
        <div class="banner" role="alert" data-testid="node-banner">
          Node unreachable since {new Date(live.since).toLocaleTimeString()}: {live.error}. Retrying every second; the
          page updates by itself when the node returns.
        </div>
      )}
      <main>
        {route.page === "overview" && <OverviewPage overview={overview} />}
        {route.page === "stage" && <StagePage height={route.height} liveHeight={height} />}
        {route.page === "participant" && <ParticipantPage address={route.address} liveHeight={height} />}
        {route.page === "validator" && <ValidatorPage address={route.address} liveHeight={height} />}
        {route.page === "unknown" && <NotFound what={`There is no page at "${route.path}".`} />}
      </main>
      <footer class="foot">
        Shares are of the stage's snapshot stake; a participant is convicted when its cheater share is strictly above
        the quorum{overview ? ` (${percent(quorumFraction(overview.params.quorum))})` : ""}.
      </footer>
    </>
  );
}

export const quorumFraction = (q: string): number => {
  const [num, den] = q.split("/").map(Number);
  return den ? num! / den : 0.5;
};
