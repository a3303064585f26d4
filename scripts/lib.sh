# Sourced by the other scripts: run from the repository root with the pinned pnpm
# and the workspace's tools on PATH. turbo needs a real `pnpm` binary on PATH.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/node_modules/.bin:$PATH"
export NEXT_TELEMETRY_DISABLED=1
PNPM_VERSION="$(node -p "require('./package.json').packageManager.split('@')[1]")"

# Installs exactly the lockfile's dependencies; a no-op in about a second when nothing changed.
ensure_installed() {
  if [ -x node_modules/.bin/pnpm ] && [ "$(node_modules/.bin/pnpm --version)" = "$PNPM_VERSION" ]; then
    pnpm install --frozen-lockfile --reporter=append-only
  else
    echo "Installing with pnpm $PNPM_VERSION (first run compiles better-sqlite3: about 90 s)"
    npx --yes "pnpm@$PNPM_VERSION" install --frozen-lockfile --reporter=append-only
  fi
}
export TURBO_TELEMETRY_DISABLED=1
