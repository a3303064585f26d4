#!/usr/bin/env bash
# npm run bench [-- --pg] : builds, then measures the production server against a
# bare node:http server in the same run. Results: bench/results/<stamp>-<db>.json.
source "$(dirname "$0")/lib.sh"
ensure_installed
turbo run build --filter=@portal/web --output-logs=errors-only
exec node apps/bench/src/run.mjs "$@"
