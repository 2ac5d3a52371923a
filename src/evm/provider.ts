// The HTTP JSON-RPC provider of the sidecar and the agent. ethers' JsonRpcProvider, while it has
// never reached its node, retries its network detection every second and prints a line on stdout
// each time, which mixes plain text into the agent's JSON log lines on stdout. This one retries
// that first detection itself, with backoff, and reports each failure to onWaiting instead (one
// waiting loop however many callers ask; plain requests still fail at once, as with ethers); once
// the node has answered, errors reach the callers as ethers gives them.
import { JsonRpcProvider, type Network } from "ethers";
import { backoffDelay, sleep } from "../net/index.js";

export interface PatientProviderOptions {
  /** eth_blockNumber polling for "block" events, in ms. */
  pollingInterval?: number;
  /** Called for each failed try before the node first answers (attempt counts from 1). */
  onWaiting?: (err: Error, attempt: number) => void;
  /** The wait between tries: 250 ms doubling up to this cap (default 5 s). */
  maxDelayMs?: number;
}

export class PatientJsonRpcProvider extends JsonRpcProvider {
  #answered = false;
  #waiting: Promise<Network> | undefined;
  readonly #onWaiting?: (err: Error, attempt: number) => void;
  readonly #maxDelayMs: number;

  constructor(url: string, opts: PatientProviderOptions = {}) {
    super(url, undefined, { cacheTimeout: -1, pollingInterval: opts.pollingInterval ?? 250 });
    this.#onWaiting = opts.onWaiting;
    this.#maxDelayMs = opts.maxDelayMs ?? 5_000;
  }

  override _detectNetwork(): Promise<Network> {
    if (this.#answered) return super._detectNetwork();
    this.#waiting ??= this.#untilAnswered().finally(() => {
      this.#waiting = undefined;
    });
    return this.#waiting;
  }

  async #untilAnswered(): Promise<Network> {
    for (let attempt = 1; ; attempt++) {
      try {
        const network = await super._detectNetwork();
        this.#answered = true;
        return network;
      } catch (err) {
        if (this.#answered || this.destroyed) throw err;
        this.#onWaiting?.(err as Error, attempt);
        await sleep(backoffDelay(attempt, { baseDelayMs: 250, maxDelayMs: this.#maxDelayMs }));
        // destroy() while waiting: the next try fails at once and is rethrown above.
      }
    }
  }
}
