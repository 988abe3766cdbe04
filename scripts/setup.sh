#!/usr/bin/env bash
# Set up effkit on a fresh Debian/Ubuntu machine: a virtual environment in .venv with
# effkit installed from this checkout. With --dev, also what the tests need
# (Debian: libusb-1.0-0 aapt android-framework-res junit4 shellcheck chromium; npm:
# kotlin-compiler; PyPI: pytest, ruff, opencv, and on Python 3.10 and 3.11, the last it has
# wheels for, tflite-support 0.4.4 as a test oracle).
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
case "${1:-}" in
  "") ;;
  --dev) dev=1 ;;
  *) echo "error: unknown argument '$1': run 'bash scripts/setup.sh', or with --dev for the tests" >&2
     exit 2 ;;
esac
if [ $# -gt 1 ]; then
  echo "error: one argument at most (--dev), got $#" >&2
  exit 2
fi
# shellcheck source-path=SCRIPTDIR source=python-range.sh
. scripts/python-range.sh

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if [ "$dev" = 1 ] && command -v apt-get >/dev/null; then
  echo "== Debian packages for the tests"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    libusb-1.0-0 aapt android-framework-res junit4 shellcheck chromium >/dev/null
fi
if [ "$dev" = 1 ] && ! npm ls -g kotlin-compiler >/dev/null 2>&1; then
  echo "== kotlinc (npm kotlin-compiler)"
  as_root npm install -g --silent kotlin-compiler >/dev/null
fi

if [ -e .venv/bin/python ] || [ -L .venv/bin/python ]; then  # -L: a link to a removed Python
  minor=$(python_minor .venv/bin/python)
  if [ -z "$minor" ]; then
    echo "error: .venv/bin/python does not run: remove .venv (rm -r .venv) and run again" >&2
    exit 1
  fi
  if ! is_supported "$minor"; then
    echo "error: .venv has Python $minor, outside $(supported_words):" \
         "remove it (rm -r .venv) and run again" >&2
    exit 1
  fi
else
  PYTHON=$(pick_python) || exit 1
  echo "== virtual environment .venv ($($PYTHON --version))"
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
echo "== pip install effkit"
if [ "$dev" = 1 ]; then
  .venv/bin/python -m pip install -q -e ".[test]"
  # tflite-support pins protobuf<4, which breaks TensorFlow: install it without its
  # dependencies; its flatbuffers-only metadata modules serve as the test oracle.
  # Python 3.10 and 3.11 have its wheels (the tests insist on it there under CI)
  if .venv/bin/python -c 'import sys; sys.exit(sys.version_info[:2] > (3, 11))'; then
    .venv/bin/python -m pip install -q --no-deps "tflite-support==0.4.4"
  fi
elif .venv/bin/python -m pip show effkit 2>/dev/null | grep '^Editable project location:' >/dev/null; then
  # (grep without -q: under pipefail, -q stops reading early and pip's broken pipe fails it)
  # a .venv set up with --dev: a plain install would freeze a copy of the package there, and
  # the contributor's edits under toolkit/ would silently stop reaching effkit and the tests
  echo "   (kept as the editable install --dev made)"
  .venv/bin/python -m pip install -q -e .
else
  .venv/bin/python -m pip install -q .
fi
echo "== ready: .venv/bin/effkit --help"
