// Starts and stops a local anvil node for the localnet and the tests.
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { PocvalError } from "../core/index.js";

/** A running anvil node on loopback. */
export interface RunningAnvil {
  rpcUrl: string;
  /** The mnemonic whose first accounts anvil funds (the Ethereum HD path m/44'/60'/0'/0/i). */
  mnemonic: string;
  stop(): Promise<void>;
}

export interface AnvilOptions {
  /** Funded accounts derived from the mnemonic (anvil's default 10). */
  accounts?: number;
  /** anvil's own test mnemonic when absent. */
  mnemonic?: string;
  /** Seconds between blocks; absent: a block per transaction (automine). */
  blockTime?: number;
  /** Milliseconds to wait for "Listening on". */
  startTimeoutMs?: number;
}

/** The mnemonic anvil and hardhat fund by default ("test test ... junk"). */
export const ANVIL_MNEMONIC = "test test test test test test test test test test test junk";

export class AnvilError extends PocvalError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "AnvilError";
  }
}

/** The anvil binary shipped by the npm package @foundry-rs/anvil-linux-amd64 (nothing downloaded at run time). */
export function anvilBinary(): string {
  const require = createRequire(import.meta.url);
  let pkg: string;
  try {
    pkg = require.resolve("@foundry-rs/anvil-linux-amd64/package.json");
  } catch (e) {
    throw new AnvilError(
      `anvil is not installed: add @foundry-rs/anvil-linux-amd64 (platform ${process.platform}-${process.arch})`,
      { cause: e },
    );
  }
  return join(dirname(pkg), "bin", "anvil");
}

/**
 * Starts anvil on 127.0.0.1 with a port it picks itself, resolving once it listens. The node
 * stops with stop() and also when this process exits.
 * @example const anvil = await startAnvil(); ... await anvil.stop();
 */
export async function startAnvil(options: AnvilOptions = {}): Promise<RunningAnvil> {
  const mnemonic = options.mnemonic ?? ANVIL_MNEMONIC;
  const args = ["--host", "127.0.0.1", "--port", "0", "--mnemonic", mnemonic];
  args.push("--accounts", String(options.accounts ?? 10), "--hardfork", "cancun");
  // Keep recent states in memory only: by default anvil spills historical states into
  // ~/.foundry/anvil/tmp (gigabytes per long run, left behind), and nothing here reads old blocks' state.
  args.push("--prune-history", "1024");
  if (options.blockTime !== undefined) args.push("--block-time", String(options.blockTime));
  const proc = spawn(anvilBinary(), args, { stdio: ["ignore", "pipe", "pipe"] });
  const killOnExit = () => proc.kill("SIGKILL");
  process.once("exit", killOnExit);
  let output = "";
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new AnvilError(`anvil did not listen within ${options.startTimeoutMs ?? 30_000} ms: ${output}`)),
      options.startTimeoutMs ?? 30_000,
    );
    const fail = (e: Error) => {
      clearTimeout(timer);
      proc.kill("SIGKILL");
      reject(e);
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /Listening on 127\.0\.0\.1:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        proc.stdout?.off("data", onData);
        // Keep draining so a chatty node never blocks on a full pipe.
        proc.stdout?.resume();
        resolve(Number(m[1]));
      } else if (output.length > 100_000) {
        output = output.slice(-10_000);
      }
    };
    proc.stdout?.on("data", onData);
    proc.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    proc.once("error", (e) => fail(new AnvilError(`anvil did not start: ${e.message}`, { cause: e })));
    proc.once("exit", (code, signal) =>
      fail(new AnvilError(`anvil exited (${code ?? signal}) before listening: ${output}`)),
    );
  });
  return {
    rpcUrl: `http://127.0.0.1:${port}`,
    mnemonic,
    stop: () => stopProcess(proc, killOnExit),
  };
}

async function stopProcess(proc: ChildProcess, killOnExit: () => void): Promise<void> {
  process.off("exit", killOnExit);
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => proc.kill("SIGKILL"), 5_000);
    proc.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    proc.kill("SIGTERM");
  });
}
