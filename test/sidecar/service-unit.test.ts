// `pocval sidecar service`: the printed systemd unit passes `systemd-analyze verify` (Debian's
// systemd; CI installs it) and holds what an operator's service needs: a dedicated user, a restart
// policy that does not loop on a refused config, secrets from an environment file, and a sandbox
// whose one writable path is the journal's directory.
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "./integration-helpers.js";

const BIN = fileURLToPath(new URL("../../bin/pocval.js", import.meta.url));
const hasAnalyze = spawnSync("systemd-analyze", ["--version"]).status === 0;
if (!hasAnalyze) {
  process.stderr.write(
    "test/sidecar/service-unit.test.ts: systemd-analyze is missing, so the unit is not verified; install Debian's systemd (apt-get install systemd), as scripts/test-setup.sh does\n",
  );
}
const temp = tempDir("pocval-service-");
afterAll(() => temp.remove());

/** Writes a config with `sidecar init` and prints its unit with `sidecar service`. */
function unitFor(journal: string, extra: string[] = []): string {
  const config = join(temp.dir, `sidecar-${Math.random().toString(36).slice(2)}.yaml`);
  const init = spawnSync(process.execPath, [
    BIN,
    "sidecar",
    "init",
    "--rpc",
    "http://127.0.0.1:26657",
    "--backend",
    "http://127.0.0.1:8000",
    "--key-file",
    "/etc/pocval/validator.json",
    "--journal",
    journal,
    "--out",
    config,
  ]);
  expect(init.status).toBe(0);
  const r = spawnSync(process.execPath, [BIN, "sidecar", "service", "--config", config, ...extra], {
    encoding: "utf8",
  });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return r.stdout;
}

function verify(unit: string, name = "pocval-sidecar.service"): { status: number | null; stderr: string } {
  const dir = join(temp.dir, Math.random().toString(36).slice(2));
  mkdirSync(dir);
  writeFileSync(join(dir, name), unit);
  const r = spawnSync("systemd-analyze", ["verify", join(dir, name)], { encoding: "utf8" });
  return { status: r.status, stderr: r.stderr };
}

describe("pocval sidecar service", () => {
  it("prints a unit with the user, restart policy, env file and sandbox", () => {
    const unit = unitFor("/var/lib/pocval/journal.db", ["--user", "pocval-val", "--secrets-file", "/etc/pocval/v.env"]);
    for (const line of [
      "User=pocval-val",
      "Group=pocval-val",
      "Restart=on-failure",
      "RestartPreventExitStatus=2",
      "EnvironmentFile=/etc/pocval/v.env",
      "NoNewPrivileges=yes",
      "ProtectSystem=strict",
      "ReadWritePaths=/var/lib/pocval",
      "ProtectHome=yes",
      "PrivateTmp=yes",
      "CapabilityBoundingSet=",
      "WantedBy=multi-user.target",
    ]) {
      expect(unit.split("\n"), line).toContain(line);
    }
    expect(unit).toMatch(new RegExp(`^ExecStart=${process.execPath} ${BIN} sidecar start --config /.+\\.yaml$`, "m"));
  });

  it.skipIf(!hasAnalyze)("systemd-analyze verify passes on it, with no warning", () => {
    const { status, stderr } = verify(unitFor("/var/lib/pocval/journal.db"));
    expect(stderr).toBe("");
    expect(status).toBe(0);
  });

  it.skipIf(!hasAnalyze)("and the same check catches a broken unit (it is not a check that always passes)", () => {
    const unit = unitFor("/var/lib/pocval/journal.db");
    const typo = verify(unit.replace("ProtectSystem=strict", "ProtectSystem=stric"));
    expect(typo.stderr).toContain("Failed to parse protect system value");
    const missing = verify(unit.replace(`ExecStart=${process.execPath}`, "ExecStart=/nonexistent/node"));
    expect(missing.status).not.toBe(0);
  });

  it("a journal under /home keeps /home readable (ProtectHome=read-only) and writable only there", () => {
    const unit = unitFor("/home/validator/pocval/journal.db");
    expect(unit).toContain("ProtectHome=read-only\n");
    expect(unit).toContain("ReadWritePaths=/home/validator/pocval\n");
  });
});
