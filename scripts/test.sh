#!/usr/bin/env bash
# npm test: every check and every suite. PostgreSQL suites run when PostgreSQL is
# reachable (PG_TEST_URL, default postgresql://postgres@127.0.0.1:5432/test) and
# are required when CI=true; so are the NATS bus suites (NATS_TEST_URL, default
# nats://127.0.0.1:4222).
source "$(dirname "$0")/lib.sh"
ensure_installed
# The browser suite drives Debian's Chromium (Playwright cannot download its own here).
if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's chromium for the browser tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
  else
    echo "The browser tests need Chromium: apt-get install -y chromium (or set CHROMIUM_PATH)" >&2
    exit 1
  fi
fi
# The three-instance suite runs the instances behind Debian's HAProxy.
if ! command -v haproxy >/dev/null && [ ! -x /usr/sbin/haproxy ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Debian's haproxy for the three-instance tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy
  else
    echo "HAProxy is missing: the three-instance suite will be skipped (apt-get install -y haproxy)" >&2
  fi
fi
turbo run build typecheck lint --output-logs=errors-only
prettier --check . --log-level=warn
# Suites start servers and databases of their own: two at a time suits 2 cores.
turbo run test --concurrency=2 --output-logs=full
