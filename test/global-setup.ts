// Vitest global setup: the tests that run `bin/pocval.js` run the compiled CLI, so dist/ is rebuilt
// first when any source is newer than the last build (a few seconds of CPU; nothing when fresh).
import { ensureBuilt } from "../scripts/build.js";

export default function setup(): void {
  const ms = ensureBuilt();
  if (ms > 0) process.stderr.write(`global setup: rebuilt dist/ in ${(ms / 1000).toFixed(1)} s\n`);
}
