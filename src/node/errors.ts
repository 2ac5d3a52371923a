// The embedded node's own failures: its home directory and files, its RPC listener and block production.
import { PocvalError } from "../core/index.js";

/** A problem with the node's home directory, genesis file or key files; names the path and field. */
export class HomeError extends PocvalError {
  override name = "HomeError";
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

/** A failure of the running node itself (its data folder's lock, its options, its RPC listener). */
export class NodeError extends PocvalError {
  override name = "NodeError";
}
