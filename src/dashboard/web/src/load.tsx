// Loading data for a page: the useLoad hook and the loading, not-found and error views every page shares.
import { useEffect, useState } from "preact/hooks";
import { ApiError } from "./api.js";

export type Loaded<T> = { state: "loading" } | { state: "ok"; data: T } | { state: "error"; error: ApiError };

/** Reads fn() when a key changes; keeps showing the last data while a refresh runs. */
export function useLoad<T>(fn: () => Promise<T>, keys: unknown[]): Loaded<T> {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: "loading" });
  useEffect(() => {
    let live = true;
    fn().then(
      (data) => live && setLoaded({ state: "ok", data }),
      (error: unknown) =>
        live &&
        setLoaded((prev) =>
          // A node outage keeps the last data on screen (the banner says why it is stale).
          error instanceof ApiError && error.status === 503 && prev.state === "ok"
            ? prev
            : { state: "error", error: error instanceof ApiError ? error : new ApiError(0, String(error)) },
        ),
    );
    return () => {
      live = false;
    };
  }, keys);
  return loaded;
}

/** The loading, not-found and error views shared by every page. */
export function Status<T>(props: { loaded: Loaded<T>; what: string }) {
  const l = props.loaded;
  if (l.state === "loading") return <p aria-busy="true">Loading {props.what}…</p>;
  if (l.state === "error" && l.error.status === 404) return <NotFound what={l.error.message} />;
  if (l.state === "error" && l.error.status === 400) return <NotFound what={`Bad address: ${l.error.message}`} />;
  if (l.state === "error")
    return (
      <p class="error" role="alert">
        Could not load {props.what}: {l.error.message}
      </p>
    );
  return null;
}

export function NotFound(props: { what: string }) {
  return (
    <section class="notfound" aria-labelledby="nf-title">
      <h2 id="nf-title">Not found</h2>
      <p>{props.what}</p>
      <p>
        <a href="#/">Back to the stages</a>
      </p>
    </section>
  );
}
