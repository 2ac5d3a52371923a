#!/usr/bin/env bash
# Installs CometBFT (the consensus engine for `pocval localnet run --engine cometbft` and the
# test/abci suite) into the project's git-ignored tools folder, .tools/bin/cometbft.
# Skips the build when that binary already reports the wanted version.
# Needs Go (1.22 or later) and the Go module proxy (or a module cache holding the source).
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION="${COMETBFT_VERSION:-0.38.25}"
TOOLS="$(pwd)/.tools"
BIN="$TOOLS/bin/cometbft"

if [ -x "$BIN" ] && [ "$("$BIN" version 2>/dev/null)" = "$VERSION" ]; then
  echo "cometbft $VERSION: already installed at $BIN"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "cometbft: Go is not on PATH; install Go 1.22+ (https://go.dev/dl/) and run this script again" >&2
  exit 1
fi

mkdir -p "$TOOLS/bin"
echo "cometbft $VERSION: building with $(go version) (about 1-3 minutes on a fresh machine) ..."
start=$(date +%s)
if ! GOBIN="$TOOLS/bin" go install -v "github.com/cometbft/cometbft/cmd/cometbft@v$VERSION" 2>&1 |
  awk '{ n++; if (n % 40 == 0) printf "cometbft: %d packages built ...\n", n; fflush() } END { printf "cometbft: %d packages built\n", n }'; then
  echo "cometbft: go install failed (see above)" >&2
  exit 1
fi
got="$("$BIN" version 2>/dev/null || true)"
if [ "$got" != "$VERSION" ]; then
  echo "cometbft: $BIN reports version '$got', expected $VERSION" >&2
  exit 1
fi
echo "cometbft $VERSION: installed at $BIN in $(($(date +%s) - start)) s"
