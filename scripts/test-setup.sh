#!/usr/bin/env bash
# `npm test` runs this first (pretest): the tools the suite drives that npm does not install.
# CometBFT (test/abci) is built into .tools/bin by install-cometbft.sh, skipped when present;
# Debian's chromium (test/dashboard), prometheus (test/ops) and systemd (systemd-analyze) are
# installed with apt-get when missing and we are root.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-cometbft.sh
# Debian's prometheus (prometheus, promtool: test/ops) and systemd (systemd-analyze: the sidecar's
# unit in test/sidecar/service-unit.test.ts), installed when missing and we are root.
missing=()
command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "test setup: installing Debian's ${missing[*]} for the ops and service tests (apt-get) ..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    echo "test setup: ${missing[*]} installed"
  else
    echo "test setup: ${missing[*]} missing; install Debian's ${missing[*]} (sudo apt-get install ${missing[*]}):" \
      "test/ops and test/sidecar/service-unit.test.ts skip their checks without them" >&2
  fi
fi
if [ -n "${POCVAL_CHROMIUM:-}" ] && [ -x "$POCVAL_CHROMIUM" ]; then
  exit 0
fi
if ! [ -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "test setup: installing Debian's chromium for the browser tests (apt-get, about a minute) ..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    echo "test setup: chromium installed"
  else
    echo "test setup: /usr/bin/chromium is missing; install Debian's chromium (sudo apt-get install chromium)" \
      "or set POCVAL_CHROMIUM to a Chromium binary: the browser tests need it" >&2
    exit 1
  fi
fi
