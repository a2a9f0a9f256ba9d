#!/usr/bin/env bash
# The README's two commands as a new user meets them, timed: a fresh clone of this
# repository (its committed HEAD), a fresh venv and an empty leanstar cache, then
#   (1) python3 -m pip install -e . && leanstar demo
#   (2) python3 -m pip install -e ".[dev]" && python3 -m pytest -q -p no:cacheprovider
# Prints one line per step (seconds, exit status, what it showed) and a total per command.
#
#   bash benchmarks/first_run.sh               both commands (the test suite takes minutes)
#   bash benchmarks/first_run.sh --demo-only   command (1) only
#   PYTHON=python3.12 bash benchmarks/first_run.sh
#
# Timings depend on the machine's load and on pip's cache (wheels already downloaded make
# installs faster): say which when quoting them.
set -uo pipefail

demo_only=0
[ "${1:-}" = "--demo-only" ] && demo_only=1
repo="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-python3}"
work="$(mktemp -d -t leanstar-first-run.XXXXXX)"
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
declare -a rows

# step NAME COMMAND...: run it (output to $work/NAME.log), record seconds and exit status.
step() {
  local name="$1"; shift
  local start end status
  start="$(now)"
  "$@" >"$work/$name.log" 2>&1
  status=$?
  end="$(now)"
  last_seconds="$(elapsed "$start" "$end")"
  last_status=$status
  return $status
}

echo "first run of $(git -C "$repo" rev-parse --short HEAD) with $("$python" --version 2>&1)," \
  "on $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"

git clone --quiet "$repo" "$work/leanstar" || exit 1
"$python" -m venv "$work/venv" || exit 1
# shellcheck disable=SC1091
source "$work/venv/bin/activate"
export LEANSTAR_CACHE="$work/cache"  # a fresh machine: the embedded Lean is built on first use
unset LEANSTAR_TOOLCHAIN
cd "$work/leanstar" || exit 1

# -- command (1) ----------------------------------------------------------------------------
step install1 python3 -m pip install -e .
install1="$last_seconds s (exit $last_status)"
demo="not run"
total1="$last_seconds"
if [ "$last_status" = 0 ]; then
  step demo leanstar demo
  shown="$(grep -cE "proof search \([0-9x]+\): proved" "$work/demo.log") proved by search"
  if ! grep -Eq "^ *thought +tactic +Lean's verdict" "$work/demo.log"; then
    shown="no model suggestions shown"
  fi
  demo="$last_seconds s (exit $last_status; $shown)"
  total1="$(awk -v a="$total1" -v b="$last_seconds" 'BEGIN { printf "%.1f", a + b }')"
fi
rows+=("(1) pip install -e .                   $install1")
rows+=("(1) leanstar demo                      $demo")
rows+=("(1) total                              $total1 s")
if [[ "$demo" != *"exit 0"* ]]; then  # say why: the end of the failing step's output
  tail -n 5 "$work/install1.log" "$work/demo.log" 2>/dev/null | sed 's/^/    /' >&2
fi

# -- command (2) ----------------------------------------------------------------------------
if [ "$demo_only" = 0 ]; then
  step install2 python3 -m pip install -e ".[dev]"
  install2="$last_seconds s (exit $last_status)"
  total2="$last_seconds"
  tests="not run"
  if [ "$last_status" = 0 ]; then
    step pytest python3 -m pytest -q -p no:cacheprovider
    tests="$last_seconds s (exit $last_status; $(tail -n 1 "$work/pytest.log"))"
    total2="$(awk -v a="$total2" -v b="$last_seconds" 'BEGIN { printf "%.1f", a + b }')"
  fi
  rows+=("(2) pip install -e \".[dev]\"            $install2")
  rows+=("(2) pytest                             $tests")
  rows+=("(2) total                              $total2 s")
fi

printf '%s\n' "${rows[@]}"
