// HOST:PORT, the one form of a listen address the node's --rpc, startNode's rpc option and the
// ABCI server's tcp:// address share: parsed here once, each caller naming its own field on failure.

/** A host (a name, an IPv4 address, or an IPv6 address without brackets) and a port. */
export interface HostPort {
  host: string;
  port: number;
}

const HOST_PORT = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/**
 * "HOST:PORT" into its parts: HOST a name or IPv4 address, or an IPv6 address in brackets
 * (returned without them); PORT a decimal in 0..65535 (0 picks a free one). Undefined when the
 * value is not of that form, so the caller's error can name its own flag or option.
 * @example parseHostPort("[::1]:26657") // { host: "::1", port: 26657 }
 */
export function parseHostPort(value: string): HostPort | undefined {
  const m = value.match(HOST_PORT);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port > 65535) return undefined;
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port };
}

/** The inverse of parseHostPort: an IPv6 host goes in brackets. */
export function formatHostPort({ host, port }: HostPort): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}
