// The package's version, read from its package.json (the same file from src/ and dist/): what
// `pocval --version` prints, the sidecar's metrics label and what `sidecar doctor` compares.
import { readFileSync } from "node:fs";

let cached: string | undefined;

/** The version in the package.json two folders above this file (src/net or dist/net). */
export function packageVersion(): string {
  cached ??= (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string })
    .version;
  return cached;
}
