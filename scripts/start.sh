#!/usr/bin/env bash
# npm start: install, build, then serve on $PORT (default 3000). The server applies
# pending migrations itself at start, so the SQLite file is created and migrated here.
source "$(dirname "$0")/lib.sh"
ensure_installed
turbo run build --filter=@portal/web --output-logs=errors-only
exec node apps/web/dist/server.mjs
