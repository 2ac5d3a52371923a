// Worker entry when running from source (tsx, vitest): worker threads do not inherit the main
// thread's tsx loader, so register it here. The compiled package starts dist/localnet/backend-worker.js.
import { register } from "tsx/esm/api";

register();
await import("./backend-worker.ts");
