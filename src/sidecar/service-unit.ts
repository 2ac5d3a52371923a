// `pocval sidecar service`: the systemd unit that runs one validator's sidecar as a service: a
// dedicated user, restarts on failure (not on a config it refused: exit 2), secrets from an
// environment file, and a sandbox in which the only writable place is the journal's directory.
import { dirname, isAbsolute, resolve } from "node:path";
import type { SidecarConfig } from "./config.js";

export interface ServiceUnitOptions {
  /** The config file (made absolute against cwd). */
  configPath: string;
  config: SidecarConfig;
  /** The system user the sidecar runs as (create it: `useradd --system --home /var/lib/pocval pocval`). */
  user: string;
  /** Secrets (POCVAL_SIDECAR_MNEMONIC, ...) as KEY=value lines, readable by root only. */
  environmentFile: string;
  /** The Node.js binary and pocval's bin/pocval.js. */
  nodePath: string;
  binPath: string;
  /** Where relative paths resolve (the sidecar runs in the config's directory). */
  cwd?: string;
}

/** A path of the config made absolute the way the service sees it: relative to the config's directory. */
function fromConfigDir(configDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(configDir, path);
}

/** systemd quotes a word with spaces in ExecStart; paths with a quote or backslash are refused. */
function execWord(word: string): string {
  if (/["\\\n]/.test(word))
    throw new RangeError(`path ${JSON.stringify(word)}: quotes and backslashes are not supported`);
  return /\s/.test(word) ? `"${word}"` : word;
}

/** The paths a sandbox directive lists are space separated: a path with a space is refused. */
function sandboxPath(what: string, path: string): string {
  if (/\s/.test(path))
    throw new RangeError(`${what} ${JSON.stringify(path)}: a path with spaces cannot go in the unit`);
  return path;
}

/** The files the sidecar reads besides its config: the key file or mnemonic file. */
function keyPaths(config: SidecarConfig, configDir: string): string[] {
  const k = config.key.keyFile ?? config.key.mnemonicFile;
  return k === undefined ? [] : [fromConfigDir(configDir, k)];
}

/**
 * The unit's text. Every path in it is absolute; the journal's directory is the one writable path.
 * @example serviceUnit({ configPath: "/etc/pocval/sidecar.yaml", config, user: "pocval",
 *   environmentFile: "/etc/pocval/sidecar.env", nodePath: "/usr/bin/node",
 *   binPath: "/usr/lib/node_modules/pocval/bin/pocval.js" })
 */
export function serviceUnit(o: ServiceUnitOptions): string {
  const configPath = resolve(o.cwd ?? process.cwd(), o.configPath);
  const configDir = dirname(configPath);
  const journalDir = dirname(fromConfigDir(configDir, o.config.journal.path));
  const underHome = [configPath, journalDir, ...keyPaths(o.config, configDir)].some((p) =>
    /^\/(home|root|run\/user)\//.test(p),
  );
  const metrics = o.config.metrics.enabled
    ? `metrics and /healthz on ${o.config.metrics.host}:${o.config.metrics.port}`
    : "metrics disabled";
  return `# pocval validator sidecar, written by \`pocval sidecar service\` (${metrics}).
# Install: save as /etc/systemd/system/pocval-sidecar.service, then
#   systemctl daemon-reload && systemctl enable --now pocval-sidecar && journalctl -u pocval-sidecar -f
[Unit]
Description=pocval validator sidecar (checks PoC v2 commitments, votes on chain)
Documentation=https://github.com/pocval/pocval/blob/main/docs/operator.md
After=network-online.target
Wants=network-online.target
# Ten failed starts within five minutes: stop trying (systemctl status shows why).
StartLimitIntervalSec=300
StartLimitBurst=10

[Service]
Type=simple
User=${o.user}
Group=${o.user}
# Secrets as KEY=value lines (POCVAL_SIDECAR_MNEMONIC=...), owned by root, mode 0600.
EnvironmentFile=${sandboxPath("environment file", o.environmentFile)}
WorkingDirectory=${sandboxPath("config directory", configDir)}
ExecStart=${[o.nodePath, o.binPath, "sidecar", "start", "--config", configPath].map(execWord).join(" ")}
# SIGTERM stops it cleanly (running checks abstain, journal closed); a restart resumes from the journal.
KillSignal=SIGTERM
TimeoutStopSec=60
Restart=on-failure
RestartSec=5
# Exit 2: the config or key did not validate; restarting cannot fix that.
RestartPreventExitStatus=2
LimitNOFILE=65536
UMask=0077

# Sandbox: read-only system, the journal's directory the one writable path.
NoNewPrivileges=yes
ProtectSystem=strict
ReadWritePaths=${sandboxPath("journal directory", journalDir)}
ProtectHome=${underHome ? "read-only" : "yes"}
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
SystemCallArchitectures=native
SystemCallFilter=@system-service
CapabilityBoundingSet=
AmbientCapabilities=
# Not MemoryDenyWriteExecute: Node's JIT writes and executes its code pages.

[Install]
WantedBy=multi-user.target
`;
}
