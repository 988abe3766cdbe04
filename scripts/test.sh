#!/usr/bin/env bash
# Everything the tests need, then the whole test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
.venv/bin/ruff check toolkit metadata tests benchmarks
exec .venv/bin/python -m pytest -ra "$@"
