#!/usr/bin/env bash
# CI: the quick loop (pytest without the slow tests) on the newest supported Python, with
# effkit installed from the checkout as a user's pip would (not editable). The full suite
# runs on .venv's Python (scripts/test.sh); this catches what only the newest one breaks:
# it is the Python of current Linux releases (Raspberry Pi OS Trixie, Debian 13: 3.13).
# Usage: bash scripts/quick-newest.sh [pytest arguments]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=python-range.sh
. "$root/scripts/python-range.sh"
minors=$(supported_minors)
newest=${minors##* }
py=$(python_for_minor "$newest")
if [ -z "$py" ]; then
  echo "quick-newest: FAILED: python$newest not found"
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "== quick loop on $($py --version) (effkit installed from the checkout)"
"$py" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q --upgrade pip >/dev/null
if ! "$work/venv/bin/python" -m pip install -q "${root}[test]" >"$work/pip.log" 2>&1; then
  tail -n 20 "$work/pip.log"
  echo "quick-newest: FAILED to install on $newest"
  exit 1
fi
cd "$root"
# the tests import the installed effkit, not toolkit/ (no editable install in this venv);
# not exec'd, so the EXIT trap removes the venv
status=0
"$work/venv/bin/python" -m pytest -q -n 2 -p no:cacheprovider "$@" || status=$?
exit "$status"
