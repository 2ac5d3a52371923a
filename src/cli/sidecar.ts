// `pocval sidecar`: start a validator sidecar, and the operator's path to it: init (a commented
// config), doctor (every check before a stage) and service (a systemd unit).
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CommandError, intFlag, requireString, UsageError, untilSignal } from "./args.js";
import { command, group } from "./command.js";

/** Loads a config for a command that needs it valid: a config error is bad input. */
async function loadConfigOrUsage(file: string) {
  const { loadSidecarConfig, SidecarConfigError } = await import("../sidecar/index.js");
  try {
    return await loadSidecarConfig(file);
  } catch (err) {
    if (err instanceof SidecarConfigError) throw new UsageError(err.message, { cause: err });
    throw err;
  }
}

const start = command({
  summary: "runs a validator sidecar until SIGINT or SIGTERM",
  flags: {
    config: { type: "string", arg: "FILE", help: "the sidecar's YAML or JSON config", required: true },
    adversary: {
      type: "string",
      arg: "STRATEGY",
      help: "DRILLS ONLY: vote falsely on purpose: lazy, or frame:ADDRESS and shield:ADDRESS, comma-separated (logs a warning at start)",
    },
  },
  async run(values) {
    const signalled = untilSignal();
    const file = requireString(values, "config");
    const {
      InvalidAdversaryError,
      MetricsServerError,
      parseAdversary,
      SidecarKeyError,
      startSidecar,
      WrongChainError,
    } = await import("../sidecar/index.js");
    const { PidLockedError } = await import("../fs/index.js");
    let adversary: ReturnType<typeof parseAdversary> | undefined;
    try {
      if (typeof values.adversary === "string") adversary = parseAdversary(values.adversary);
    } catch (err) {
      if (err instanceof InvalidAdversaryError) throw new UsageError(err.message, { cause: err });
      throw err;
    }
    const config = await loadConfigOrUsage(file);
    let sidecar: Awaited<ReturnType<typeof startSidecar>>;
    try {
      sidecar = await startSidecar(config, { adversary });
    } catch (err) {
      // A key that does not read or validate is bad input; a port or journal in use is not.
      if (err instanceof SidecarKeyError) throw new UsageError(err.message, { cause: err });
      if (err instanceof MetricsServerError || err instanceof PidLockedError || err instanceof WrongChainError) {
        throw new CommandError(err.message, { cause: err });
      }
      throw err;
    }
    await signalled;
    await sidecar.stop();
    // Everything is flushed and closed; a websocket the node has not yet acknowledged closing
    // must not keep the process alive.
    process.exit(0);
  },
});

const init = command({
  summary: "writes a commented config for one validator (every field explained, defaults shown)",
  flags: {
    chain: { type: "string", arg: "cosmos|evm", help: "which chain binding (default cosmos)" },
    "chain-id": { type: "string", arg: "ID", help: "the chain id the node must report (doctor checks it)" },
    rpc: {
      type: "string",
      arg: "URL",
      help: "cosmos: the node's CometBFT RPC; evm: the JSON-RPC (http or ws)",
      required: true,
    },
    ws: { type: "string", arg: "URL", help: "cosmos: the node's websocket (default: derived from --rpc)" },
    contract: { type: "string", arg: "ADDR", help: "evm: the PocvalTally contract's address" },
    backend: { type: "string", arg: "URL", multiple: true, help: "a PoC backend's base URL", required: true },
    "key-file": { type: "string", arg: "FILE", help: "the key file (`pocval node init`'s {name, address, mnemonic})" },
    "mnemonic-file": { type: "string", arg: "FILE", help: "a file holding the BIP-39 mnemonic (or --key-file)" },
    journal: { type: "string", arg: "FILE", help: "the SQLite journal (default pocval-sidecar.db)" },
    "metrics-port": { type: "string", arg: "PORT", help: "the metrics and health server's port (default 9464)" },
    out: {
      type: "string",
      arg: "FILE",
      help: "write the config here (mode 0640; refuses to overwrite) instead of stdout",
    },
  },
  async run(values) {
    const { initSidecarConfig, SidecarConfigError } = await import("../sidecar/index.js");
    const chain = values.chain ?? "cosmos";
    if (chain !== "cosmos" && chain !== "evm") throw new UsageError(`--chain must be cosmos or evm, got "${chain}"`);
    if ((values["key-file"] === undefined) === (values["mnemonic-file"] === undefined)) {
      throw new UsageError("give exactly one of --key-file and --mnemonic-file");
    }
    let text: string;
    try {
      text = initSidecarConfig({
        chain,
        chainId: values["chain-id"],
        rpcUrl: requireString(values, "rpc"),
        wsUrl: values.ws,
        contract: values.contract,
        backendUrls: values.backend ?? [],
        keyFile: values["key-file"],
        mnemonicFile: values["mnemonic-file"],
        journalPath: values.journal,
        metricsPort:
          values["metrics-port"] === undefined ? undefined : intFlag(values, "metrics-port", { min: 0, max: 65_535 }),
      });
    } catch (err) {
      if (err instanceof SidecarConfigError) throw new UsageError(err.message, { cause: err });
      throw err;
    }
    if (values.out === undefined) {
      process.stdout.write(text);
      return;
    }
    try {
      writeFileSync(values.out, text, { flag: "wx", mode: 0o640 });
    } catch (err) {
      throw new CommandError(`--out ${values.out}: ${(err as Error).message}`, { cause: err });
    }
    process.stdout.write(`wrote ${values.out}; next: pocval sidecar doctor --config ${values.out}\n`);
  },
});

const doctor = command({
  summary: "checks config, key, account, node, params, backends, metrics port and journal; exit 0 when all pass",
  flags: {
    config: { type: "string", arg: "FILE", help: "the sidecar's YAML or JSON config", required: true },
    reference: {
      type: "string",
      arg: "URL",
      help: "a backend you trust: the test nonces' distances are measured against it",
    },
    "timeout-ms": { type: "string", arg: "MS", help: "limit of one chain or websocket check (default 10000)" },
    "recompute-bound-ms": {
      type: "string",
      arg: "MS",
      help: "limit of a backend's test recompute of 2 nonces (default 30000)",
    },
  },
  async run(values) {
    const { formatDoctorLine, runDoctor } = await import("../sidecar/index.js");
    const passed = await runDoctor(
      {
        configPath: requireString(values, "config"),
        referenceUrl: values.reference,
        timeoutMs: intFlag(values, "timeout-ms", { default: 10_000, min: 100, max: 600_000 }),
        recomputeBoundMs: intFlag(values, "recompute-bound-ms", { default: 30_000, min: 100, max: 3_600_000 }),
      },
      (line) => process.stdout.write(`${formatDoctorLine(line)}\n`),
    );
    process.stdout.write(passed ? "all checks passed\n" : "some checks failed: fix them, then run doctor again\n");
    process.exitCode = passed ? 0 : 1;
  },
});

const service = command({
  summary: "prints a systemd unit that runs the sidecar (dedicated user, restarts, env file, sandbox)",
  flags: {
    config: { type: "string", arg: "FILE", help: "the sidecar's YAML or JSON config", required: true },
    user: { type: "string", arg: "NAME", help: "the system user it runs as (default pocval)" },
    "secrets-file": {
      type: "string",
      arg: "FILE",
      help: "secrets as KEY=value lines (default /etc/pocval/sidecar.env)",
    },
    node: { type: "string", arg: "FILE", help: "the Node.js binary (default: the one running this command)" },
  },
  async run(values) {
    const { serviceUnit } = await import("../sidecar/index.js");
    const configPath = resolve(requireString(values, "config"));
    const config = await loadConfigOrUsage(configPath);
    const user = values.user ?? "pocval";
    if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(user)) throw new UsageError(`--user "${user}" is not a system user name`);
    const unit = serviceUnit({
      configPath,
      config,
      user,
      environmentFile: resolve(values["secrets-file"] ?? "/etc/pocval/sidecar.env"),
      nodePath: resolve(values.node ?? process.execPath),
      binPath: fileURLToPath(new URL("../../bin/pocval.js", import.meta.url)),
    });
    process.stdout.write(unit);
  },
});

/** `pocval sidecar start|init|doctor|service`. */
export default group("sidecar", { start, init, doctor, service });
