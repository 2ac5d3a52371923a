// The dashboard's JSON API, as the page reads it.
import type { OverviewView, ParticipantHistoryView, StageView, ValidatorHistoryView } from "../../api-types.js";

export type { Phase, StageSummary, TallyView, VoteView } from "../../api-types.js";
export type { OverviewView, ParticipantHistoryView, StageView, ValidatorHistoryView };

export type LiveState =
  | { up: true; overview: OverviewView }
  | { up: false; error: string; since: string; overview: OverviewView | null };

/** A failed API read: 404 is a not-found view, 503 the node-down banner, anything else an error. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function get<T>(path: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, { headers: { accept: "application/json" } });
  } catch (err) {
    throw new ApiError(0, `the dashboard server is unreachable (${(err as Error).message})`);
  }
  const body = (await res.json().catch(() => ({}))) as { error?: string };
  if (!res.ok) throw new ApiError(res.status, body.error ?? `HTTP ${res.status}`);
  return body as T;
}

export const api = {
  stage: (height: string) => get<StageView>(`/api/stages/${encodeURIComponent(height)}`),
  participant: (address: string) => get<ParticipantHistoryView>(`/api/participants/${encodeURIComponent(address)}`),
  validator: (address: string) => get<ValidatorHistoryView>(`/api/validators/${encodeURIComponent(address)}`),
};

/** Follows the server's live feed; calls back with each state and with the feed's own health. */
export function followLive(onState: (s: LiveState) => void, onFeed: (connected: boolean) => void): () => void {
  const source = new EventSource("/api/events");
  source.addEventListener("state", (e) => {
    onFeed(true);
    onState(JSON.parse((e as MessageEvent<string>).data) as LiveState);
  });
  source.addEventListener("error", () => onFeed(false));
  source.addEventListener("open", () => onFeed(true));
  return () => source.close();
}
