#!/usr/bin/env bash
# Everything the tests need, then the whole test suite. Extra arguments go to pytest.
# (The quick loop while working is: .venv/bin/python -m pytest -n 2, which pyproject.toml
# limits to -m "not slow"; see README.)
#
# Besides scripts/setup.sh --dev this installs what the otherwise-skipped tests need:
# - Debian's flatbuffers-compiler (flatc 2.0.8): the generated metadata bindings are
#   compared with flatc's own output;
# - Debian's qemu-user-static: tests/test_coral_trixie_arm64.py runs the Coral app in a real
#   Debian Trixie arm64 userland (made from Debian packages with apt-get and dpkg-deb,
#   cached in ~/.cache/effkit-test) through chroot and binfmt_misc, which the test mounts
#   and registers qemu-aarch64 with when the machine allows it;
# - a Python 3.11 side environment (.venv-task) with tflite-support 0.4.4 and protobuf<4,
#   whose C++ Task library cannot load next to TensorFlow 2.16+; EFFKIT_TASK_PYTHON
#   points the Task Library tests at it;
# - a MediaPipe side environment (.venv-mediapipe), EFFKIT_MEDIAPIPE_PYTHON.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v flatc >/dev/null && command -v apt-get >/dev/null; then
  echo "== flatc (Debian flatbuffers-compiler)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq flatbuffers-compiler >/dev/null
fi

if [ ! -f /usr/lib/binfmt.d/qemu-aarch64.conf ] && command -v apt-get >/dev/null; then
  echo "== qemu-user-static (the arm64 Trixie userland test)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user-static >/dev/null
fi

TASK_PYTHON=${TASK_PYTHON:-}
if [ -z "$TASK_PYTHON" ]; then
  for candidate in python3.11 "$HOME/.pyenv/versions/3.11.7/bin/python"; do
    if command -v "$candidate" >/dev/null 2>&1; then TASK_PYTHON=$candidate; break; fi
  done
fi
if [ -n "$TASK_PYTHON" ]; then
  if [ ! -x .venv-task/bin/python ]; then
    echo "== Task Library side environment .venv-task ($("$TASK_PYTHON" --version))"
    "$TASK_PYTHON" -m venv .venv-task
  fi
  .venv-task/bin/python -m pip install -q "tflite-support==0.4.4" "protobuf<4" "numpy<2"
  EFFKIT_TASK_PYTHON="$(pwd)/.venv-task/bin/python"
  export EFFKIT_TASK_PYTHON
else
  echo "== no Python 3.11 found: the Task Library test will be skipped (set TASK_PYTHON)"
fi

# MediaPipe Tasks (a second independent reader of the metadata) pins OpenCV-contrib and
# flatbuffers 25.x: its own side environment, EFFKIT_MEDIAPIPE_PYTHON for tests/test_clients.py.
if [ ! -x .venv-mediapipe/bin/python ]; then
  # shellcheck source-path=SCRIPTDIR source=python-range.sh
  . scripts/python-range.sh
  mediapipe_python=$(pick_python 2>/dev/null) || mediapipe_python=python3  # as .venv's, if it can
  echo "== MediaPipe side environment .venv-mediapipe ($("$mediapipe_python" --version))"
  "$mediapipe_python" -m venv .venv-mediapipe
fi
.venv-mediapipe/bin/python -m pip install -q "mediapipe==1.2.3"
EFFKIT_MEDIAPIPE_PYTHON="$(pwd)/.venv-mediapipe/bin/python"
export EFFKIT_MEDIAPIPE_PYTHON

.venv/bin/ruff check toolkit metadata tests benchmarks scripts
# The type check (mypy, about 6 s without its cache): any type error fails the run before the tests.
bash scripts/typecheck.sh
# The layering contracts (import-linter, [tool.importlinter] in pyproject.toml).
bash scripts/lint-imports.sh
# pyproject's addopts select the quick loop (-m "not slow"); this runs every test.
exec .venv/bin/python -m pytest -ra -n 2 -m "slow or not slow" "$@"
