#!/usr/bin/env bash
# npm run lighthouse [-- RUNS]: builds, serves the production bundle on a scratch SQLite
# database, and runs Lighthouse 12.2.3 (mobile, simulated throttling) RUNS times (default 5)
# on /, /login, /chats, /account, a chat and /docs with one person's cookie; prints each run
# and the median per page (docs/web-app.md, "Page weight"). Lighthouse is installed on first
# use into ~/.cache/portal-lighthouse (13.x needs Node 22); Chromium is Debian's.
# Not part of npm test: the scores move with the machine's load.
source "$(dirname "$0")/lib.sh"
ensure_installed
turbo run build --filter=@portal/web --output-logs=errors-only
LH_DIR="${PORTAL_LIGHTHOUSE_DIR:-$HOME/.cache/portal-lighthouse}"
if [ ! -x "$LH_DIR/node_modules/.bin/lighthouse" ]; then
  mkdir -p "$LH_DIR"
  npm install --prefix "$LH_DIR" --no-save --no-audit --no-fund -E lighthouse@12.2.3 >&2
fi
exec node --import ./packages/db/scripts/ts-loader.mjs apps/web/scripts/lighthouse.ts "$LH_DIR/node_modules/.bin/lighthouse" "${1:-5}"
