// I/O plumbing shared by the servers and clients of every folder: HOST:PORT, listening, HTTP bodies
// and answers, retry timing, the one log line format, the event loop's delay, the chain section (Cosmos or EVM
// RPC) of the sidecar's and the agent's configs, and the package's version.
export {
  chainConfigSchema,
  chainEnvOverrides,
  checkChainSection,
  resolveChainRpc,
  urlWith,
} from "./chain-config.js";
export { formatHostPort, type HostPort, parseHostPort } from "./host-port.js";
export { HttpError, readBody, readJsonBody, sendJson } from "./http.js";
export { answerClientErrors, type ListenAddress, listen } from "./listen.js";
export { type LogLevel, logLine } from "./log.js";
export { type LoopDelaySummary, type LoopDelayWatch, watchLoopDelay } from "./loop-delay.js";
export { type BackoffOptions, backoffDelay, semaphore, sleep, sleepUntilAborted } from "./retry.js";
export { packageVersion } from "./version.js";
