#!/usr/bin/env bash
# npm run cluster: the whole app as three production instances on one fresh PostgreSQL
# database (PG_TEST_URL's server, default postgresql://postgres@127.0.0.1:5432/test)
# behind HAProxy with deploy/haproxy/haproxy.cfg, on PORT (default 8080). Ctrl-C stops
# everything and drops the database. docs/operations.md, "Behind a load balancer".
source "$(dirname "$0")/lib.sh"
ensure_installed
command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || { echo "apt-get install -y haproxy" >&2; exit 1; }
turbo run build --filter=@portal/web --output-logs=errors-only
exec node --import ./packages/db/scripts/ts-loader.mjs apps/web/scripts/cluster.ts
