// A scenario machine that names an external PoC backend (a real vLLM server) instead of a
// reference profile: checked before the stage starts.
import { createBackendClient } from "../backend/index.js";
import { PocvalError } from "../core/index.js";

/** Raised when an external backend does not answer as the scenario needs; names the machine and URL. */
export class ExternalBackendError extends PocvalError {
  override name = "ExternalBackendError";
}

/** The model a backend's `/api/v1/pow/status` object states (`model`, `model_name` or `params.model`), if any. */
export function statusModel(status: unknown): string | undefined {
  if (typeof status !== "object" || status === null) return undefined;
  const s = status as Record<string, unknown>;
  const params = typeof s.params === "object" && s.params !== null ? (s.params as Record<string, unknown>) : {};
  for (const v of [s.model, s.model_name, params.model]) if (typeof v === "string" && v !== "") return v;
  return undefined;
}

/** The model ids an OpenAI-compatible server lists at `/v1/models` (vLLM serves it), or undefined. */
async function listedModels(url: string, timeoutMs: number): Promise<string[] | undefined> {
  try {
    const res = await fetch(new URL("/v1/models", url), { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return undefined;
    const body = (await res.json()) as { data?: { id?: unknown }[] };
    return Array.isArray(body.data) ? body.data.flatMap((m) => (typeof m.id === "string" ? [m.id] : [])) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks that the machine's backend answers `GET /api/v1/pow/status` and serves `model`: the
 * model its status states, else one of those its `/v1/models` lists. Throws an
 * ExternalBackendError naming the machine, the URL and what is wrong.
 */
export async function checkExternalBackend(
  machine: string,
  url: string,
  model: string,
  opts: { timeoutMs?: number } = {},
): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const client = createBackendClient({ url, retries: 1, timeoutMs });
  let status: unknown;
  try {
    status = await client.status();
  } catch (err) {
    throw new ExternalBackendError(
      `machine ${machine}: ${url} does not answer GET /api/v1/pow/status: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const stated = statusModel(status);
  if (stated !== undefined) {
    if (stated !== model) {
      throw new ExternalBackendError(
        `machine ${machine}: ${url} serves model "${stated}", the scenario's is "${model}"`,
      );
    }
    return;
  }
  const listed = await listedModels(url, timeoutMs);
  if (listed === undefined) {
    throw new ExternalBackendError(
      `machine ${machine}: ${url} states no model in /api/v1/pow/status and lists none at /v1/models; cannot check that it serves "${model}"`,
    );
  }
  if (!listed.includes(model)) {
    throw new ExternalBackendError(
      `machine ${machine}: ${url} serves ${listed.map((m) => `"${m}"`).join(", ") || "no model"}, not the scenario's "${model}"`,
    );
  }
}
