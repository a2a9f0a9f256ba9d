#!/usr/bin/env bash
# Builds, tests and packages the VS Code extension, from a clean node_modules (called by .ci/run).
# Needs Node 20+ and the npm registry (or a warm npm cache); no VS Code, no network at test time.
set -euo pipefail
cd "$(dirname "$0")"

echo "== npm ci"
npm ci --no-audit --no-fund
echo "== npm run compile (tsc type-check + esbuild bundle -> out/extension.js)"
npm run compile
echo "== npm test (vitest; the protocol test skips until leanstar.server.lsp exists)"
npm test
echo "== npm run package (.vsix, offline)"
npm run package
ls -l ./*.vsix
