#!/usr/bin/env bash
# pnpm portal <command>: the operator's command line (docs/operations.md, "Operator commands").
# Runs the bundle `npm start` builds; builds it first on a checkout that has none.
source "$(dirname "$0")/lib.sh"
if [ ! -f apps/web/dist/cli.mjs ]; then
  turbo run build --filter=@portal/web --output-logs=errors-only >&2
fi
exec node apps/web/dist/cli.mjs "$@"
