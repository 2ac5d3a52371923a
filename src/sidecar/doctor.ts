// `pocval sidecar doctor --config FILE`: before a stage, one line per check, in order, saying ok, or
// the problem and what to do: the config, the key file, the validator account, the node's RPC and
// websocket, the chain's params against this sidecar, each backend, the metrics port and the
// journal. The checks that read the chain and the backends are in doctor-chain.ts; this file holds
// the runner, the checks of the host itself and the line format.
import { constants } from "node:fs";
import { access, readFile, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
import { loadSidecarConfig, type SidecarConfig, SidecarConfigError } from "./config.js";
import {
  type ChainFacts,
  checkAccount,
  checkBackend,
  checkNode,
  checkParams,
  openDoctorChain,
} from "./doctor-chain.js";
import { journalHolder, journalLockPath } from "./journal-lock.js";
import { loadValidatorKey, type ValidatorKey } from "./keys.js";

/** One check's result: ok, or the problem and what to do. */
export interface DoctorLine {
  check: string;
  status: "ok" | "fail" | "skip";
  /** What was found (ok) or what is wrong (fail); never a secret. */
  detail: string;
  /** What to do about a failure. */
  fix?: string;
}

export interface DoctorOptions {
  configPath: string;
  env?: Record<string, string | undefined>;
  /** A backend a validator trusts: the test nonces' distances are measured against its vectors. */
  referenceUrl?: string;
  /** Limit of one chain or websocket check (ms). */
  timeoutMs?: number;
  /** Limit of the test recompute of 2 nonces on a backend (ms). */
  recomputeBoundMs?: number;
}

export const ok = (check: string, detail: string): DoctorLine => ({ check, status: "ok", detail });
export const fail = (check: string, detail: string, fix: string): DoctorLine => ({
  check,
  status: "fail",
  detail,
  fix,
});
const skip = (check: string, detail: string): DoctorLine => ({ check, status: "skip", detail });

/** One line of output: `ok   key       ...` or `FAIL key       problem -> do: fix`. */
export function formatDoctorLine(l: DoctorLine): string {
  const status = l.status === "ok" ? "ok  " : l.status === "fail" ? "FAIL" : "skip";
  return `${status} ${l.check.padEnd(10)} ${l.detail}${l.fix ? ` -> do: ${l.fix}` : ""}`;
}

/** Every secret in the text replaced (an error message must never carry the mnemonic). */
function scrub(text: string, secrets: readonly string[]): string {
  return secrets.filter((s) => s.length >= 8).reduce((t, s) => t.split(s).join("<redacted>"), text);
}

/** The mnemonic a key file holds, to be scrubbed from messages; a parse error is the loader's to report (its message would quote the file). */
function keyFileMnemonic(text: string): string[] {
  try {
    const m = (JSON.parse(text) as { mnemonic?: unknown } | null)?.mnemonic;
    return typeof m === "string" ? [m] : [];
  } catch {
    return [];
  }
}

/** The key: its file readable by the sidecar's user only, and a valid mnemonic deriving an address. */
export async function checkKey(
  config: SidecarConfig,
  env: Record<string, string | undefined>,
): Promise<{ line: DoctorLine; key?: ValidatorKey }> {
  const file = config.key.keyFile ?? config.key.mnemonicFile;
  const secrets: string[] = config.key.mnemonic !== undefined ? [config.key.mnemonic] : [];
  let where = "the mnemonic from POCVAL_SIDECAR_MNEMONIC";
  if (file !== undefined) {
    let mode: number;
    try {
      mode = (await stat(file)).mode & 0o777;
      const text = await readFile(file, "utf8");
      secrets.push(text.trim());
      if (config.key.keyFile !== undefined) secrets.push(...keyFileMnemonic(text));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      return {
        line: fail("key", `${file}: cannot read it (${code})`, `make it readable by the sidecar's user (chown)`),
      };
    }
    if ((mode & 0o077) !== 0) {
      return {
        line: fail(
          "key",
          `${file}: mode 0${mode.toString(8)} lets group or others read the mnemonic`,
          `chmod 600 ${file}`,
        ),
      };
    }
    where = `${file}, mode 0${mode.toString(8)}`;
  } else if (env.POCVAL_SIDECAR_MNEMONIC === undefined) {
    return {
      line: fail(
        "key",
        "key.mnemonic is written in the config file",
        "move it to POCVAL_SIDECAR_MNEMONIC in the service's environment file (mode 0600), or use key.keyFile",
      ),
    };
  }
  try {
    const key = await loadValidatorKey(config.key, config.chain.kind);
    return { line: ok("key", `${where}: a valid mnemonic for ${key.address}`), key };
  } catch (err) {
    return {
      line: fail(
        "key",
        scrub((err as Error).message, secrets),
        "put the validator's BIP-39 mnemonic in the key source",
      ),
    };
  }
}

/** The metrics port: free to listen on (or disabled, or 0: a free one at start). */
export async function checkMetricsPort(config: SidecarConfig): Promise<DoctorLine> {
  const { host, port, enabled } = config.metrics;
  if (!enabled) return ok("metrics", "disabled (metrics.enabled false): nothing to scrape, no /healthz");
  if (port === 0) return ok("metrics", `${host}: port 0, a free port is picked at start`);
  const error = await new Promise<NodeJS.ErrnoException | undefined>((done) => {
    const server = createServer();
    server.once("error", (err: NodeJS.ErrnoException) => done(err));
    server.listen(port, host, () => server.close(() => done(undefined)));
  });
  if (error === undefined) return ok("metrics", `${host}:${port} is free`);
  const fix =
    error.code === "EADDRINUSE"
      ? `stop what listens there (a sidecar already running? ss -ltnp 'sport = :${port}'), or set metrics.port`
      : "set metrics.host to an address of this host";
  return fail("metrics", `${host}:${port}: cannot listen (${error.code ?? error.message})`, fix);
}

/** The journal: its directory writable, no running sidecar holding it, and the file sound if it exists. */
export async function checkJournal(config: SidecarConfig): Promise<DoctorLine> {
  const path = resolve(config.journal.path);
  try {
    await access(dirname(path), constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return fail(
      "journal",
      `${path}: its directory is not writable (${code})`,
      `create ${dirname(path)} owned by the sidecar's user`,
    );
  }
  const holder = journalHolder(path);
  if (holder !== undefined) {
    return fail(
      "journal",
      `${path}: locked by a running sidecar (pid ${holder}, ${journalLockPath(path)})`,
      "stop the running sidecar first (systemctl stop pocval-sidecar), or give this config its own journal.path",
    );
  }
  let exists = true;
  try {
    await access(path, constants.R_OK | constants.W_OK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") {
      return fail("journal", `${path}: not readable and writable`, `chown it to the sidecar's user`);
    }
    exists = false;
  }
  if (!exists) return ok("journal", `${path}: will be created (the directory is writable)`);
  try {
    const db = new Database(path, { readonly: true, timeout: 2000 });
    try {
      const result = db.pragma("quick_check", { simple: true });
      if (result !== "ok")
        return fail("journal", `${path}: quick_check says ${String(result)}`, "restore it from backup");
    } finally {
      db.close();
    }
  } catch (err) {
    return fail("journal", `${path}: not a SQLite journal (${(err as Error).message})`, "point journal.path elsewhere");
  }
  return ok("journal", `${path}: writable, not locked, quick_check ok`);
}

/** The config, loaded with the sidecar's own loader (file plus environment). */
async function checkConfig(o: DoctorOptions): Promise<{ line: DoctorLine; config?: SidecarConfig }> {
  try {
    const config = await loadSidecarConfig(o.configPath, o.env ?? process.env);
    const id = config.chain.id === undefined ? "chain.id not set (not checked)" : `chain ${config.chain.id}`;
    const b = config.backend.urls.length;
    const line = ok(
      "config",
      `${o.configPath}: ${config.chain.kind}, ${id}, rpc ${config.chain.rpcUrl}, ${b} backend${b === 1 ? "" : "s"}`,
    );
    return { line, config };
  } catch (err) {
    if (!(err instanceof SidecarConfigError)) throw err;
    const fix = "correct the named fields (README's sidecar config table), or write one with `pocval sidecar init`";
    return { line: fail("config", err.message, fix) };
  }
}

/** The checks after config and key: the chain, then each backend. */
async function chainAndBackends(
  o: DoctorOptions,
  config: SidecarConfig,
  key: ValidatorKey | undefined,
  emit: (l: DoctorLine) => void,
): Promise<void> {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const chain = openDoctorChain(config, key, timeoutMs);
  try {
    emit(key === undefined ? skip("account", "needs the key") : await checkAccount(chain, key));
    emit(await checkNode(chain, config, timeoutMs));
    const params: { line: DoctorLine; facts?: ChainFacts } = await checkParams(chain);
    emit(params.line);
    for (const [i, url] of config.backend.urls.entries()) {
      const name = `backend[${i}]`;
      if (params.facts === undefined) emit(skip(name, `${url}: needs the chain's params`));
      else
        emit(
          await checkBackend(name, url, params.facts, {
            referenceUrl: o.referenceUrl,
            boundMs: o.recomputeBoundMs ?? 30_000,
            timeoutMs,
          }),
        );
    }
  } finally {
    chain.close();
  }
}

/**
 * Runs every check in order, handing each line to emit as soon as it is known; true when all pass.
 * @example const passed = await runDoctor({ configPath: "sidecar.yaml" }, (l) => console.log(formatDoctorLine(l)));
 */
export async function runDoctor(o: DoctorOptions, emit: (line: DoctorLine) => void): Promise<boolean> {
  let passed = true;
  const out = (l: DoctorLine) => {
    if (l.status !== "ok") passed = false;
    emit(l);
  };
  const { line, config } = await checkConfig(o);
  out(line);
  if (config === undefined) {
    for (const c of ["key", "account", "node", "params", "backends", "metrics", "journal"]) {
      out(skip(c, "needs a config that loads"));
    }
    return false;
  }
  const key = await checkKey(config, o.env ?? process.env);
  out(key.line);
  await chainAndBackends(o, config, key.key, out);
  out(await checkMetricsPort(config));
  out(await checkJournal(config));
  return passed;
}
