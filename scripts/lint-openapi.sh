#!/usr/bin/env bash
# npm run lint:openapi: writes the OpenAPI document the server serves (the same generator,
# through `pnpm portal openapi`) to .openapi/openapi.json and lints it with Redocly's
# recommended ruleset (redocly.yaml) and Spectral's spectral:oas (.spectral.yaml).
# Not part of npm test: both CLIs come through npx at these pinned versions (hundreds of
# packages each, fetched on first use), not with the workspace's install. See docs/api.md.
source "$(dirname "$0")/lib.sh"
if [ ! -f apps/web/dist/cli.mjs ]; then
  turbo run build --filter=@portal/web --output-logs=errors-only >&2
fi
mkdir -p .openapi
node apps/web/dist/cli.mjs openapi > .openapi/openapi.json
status=0
npx -y @redocly/cli@2.77.0 lint --config redocly.yaml .openapi/openapi.json || status=1
npx -y @stoplight/spectral-cli@6.16.3 lint --ruleset .spectral.yaml --fail-severity warn .openapi/openapi.json || status=1
exit "$status"
