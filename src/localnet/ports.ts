// Ports for the localnet's children on 127.0.0.1. A port is handed out at most once per
// process and is taken below the kernel's ephemeral range, so neither a later bind(0) nor a
// child's outgoing connection can take it before its child binds it; a child that still
// loses the race (another process bound it meanwhile) is started again on a fresh port.

import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { connect, createServer } from "node:net";
import { PocvalError } from "../core/index.js";
import type { SupervisedChild, Supervisor } from "./supervisor.js";

/** Ports handed out by this process: never handed out again. */
const handedOut = new Set<number>();

/** Lowest port of the range the localnet picks from (below it: well-known and registered services). */
const LOW_PORT = 20_000;

/** The kernel's ephemeral range (Linux), else the IANA default. */
export function ephemeralRange(): [number, number] {
  try {
    const [lo, hi] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    if (Number.isInteger(lo) && Number.isInteger(hi) && lo! <= hi!) return [lo!, hi!];
  } catch {}
  return [49_152, 65_535];
}

/** Binds 127.0.0.1:port (0: any) and releases it; the port bound, or undefined when it is taken. */
function probe(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(undefined));
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : undefined));
    });
  });
}

/**
 * A TCP port on 127.0.0.1 that is free now and that this process has not handed out before.
 * Picked at random below the ephemeral range when there is room (at least 1,000 ports), else
 * from the kernel (bind to 0), skipping ports already handed out.
 */
export async function freePort(): Promise<number> {
  const [ephemeralLow] = ephemeralRange();
  const room = ephemeralLow - LOW_PORT;
  for (let tries = 0; tries < 1000; tries++) {
    const candidate = room >= 1000 ? LOW_PORT + Math.floor(Math.random() * room) : 0;
    if (handedOut.has(candidate)) continue;
    const port = await probe(candidate);
    if (port === undefined || handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
  throw new PocvalError("no free port on 127.0.0.1 after 1000 tries");
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Log lines of a child that could not bind its port (Node, Go). */
export const BIND_FAILURE = /EADDRINUSE|address already in use/i;

export interface BoundStart {
  supervisor: Supervisor;
  /** The child's name (its log file). */
  name: string;
  /** Starts the child on the given port, on probation (`supervisor.startProgram(..., {probation: true})`). */
  launch(port: number): SupervisedChild | Promise<SupervisedChild>;
  /** The first port to try (a fresh one by default). */
  port?: number;
  /** Attempts before giving up; default 5. */
  attempts?: number;
  timeoutMs?: number;
}

/**
 * Starts a child that must listen on a port and waits until it does (and still runs). A child
 * that exits because its port was taken is started again on a fresh port; any other exit, or
 * no listener within the timeout, fails. Resolves with the port the child listens on.
 */
export async function startBound(opts: BoundStart): Promise<number> {
  const attempts = opts.attempts ?? 5;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  let port = opts.port ?? (await freePort());
  for (let attempt = 1; ; attempt++) {
    const child = await opts.launch(port);
    const outcome = await listenedOrExited(child, port, timeoutMs);
    if (outcome === "listening") {
      opts.supervisor.confirm(child);
      return port;
    }
    const log = opts.supervisor.tail(opts.name, 20);
    if (outcome === "exited" && BIND_FAILURE.test(log) && attempt < attempts) {
      port = await freePort();
      continue;
    }
    opts.supervisor.confirm(child);
    throw new PocvalError(
      outcome === "exited"
        ? `${opts.name} exited before it listened on 127.0.0.1:${port}; last lines of its log:\n${log}`
        : `${opts.name} did not listen on 127.0.0.1:${port} within ${timeoutMs / 1000} s`,
    );
  }
}

const alive = (child: SupervisedChild) => child.process.exitCode === null && child.process.signalCode === null;

/**
 * Whether the process `pid` holds the listening socket of 127.0.0.1:port (Linux: /proc/net/tcp
 * names the socket's inode, /proc/PID/fd the process's sockets); undefined where /proc is not.
 */
export function listensOn(pid: number, port: number): boolean | undefined {
  let table: string;
  let fds: string[];
  try {
    table = readFileSync("/proc/net/tcp", "utf8");
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return undefined;
  }
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  const inodes = new Set<string>();
  for (const line of table.split("\n").slice(1)) {
    const cols = line.trim().split(/\s+/);
    // cols: sl, local_address, rem_address, st (0A = LISTEN), ..., inode at 9
    if (cols[1] === local && cols[3] === "0A" && cols[9]) inodes.add(`socket:[${cols[9]}]`);
  }
  if (inodes.size === 0) return false;
  for (const fd of fds) {
    try {
      if (inodes.has(readlinkSync(`/proc/${pid}/fd/${fd}`))) return true;
    } catch {}
  }
  return false;
}

/**
 * Polls until the child itself listens on the port ("listening"), the child exits, or the
 * timeout. A listener that is another process's (the port was taken meanwhile) does not count;
 * without /proc, a listener that is still there with the child alive after a settle does.
 */
async function listenedOrExited(
  child: SupervisedChild,
  port: number,
  timeoutMs: number,
): Promise<"listening" | "exited" | "timeout"> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!alive(child)) return "exited";
    const owned = child.process.pid === undefined ? undefined : listensOn(child.process.pid, port);
    if (owned === true) return "listening";
    if (owned === undefined && (await accepts(port))) {
      await new Promise((r) => setTimeout(r, 500));
      return alive(child) ? "listening" : "exited";
    }
    if (Date.now() > deadline) return "timeout";
    await new Promise((r) => setTimeout(r, 100));
  }
}
