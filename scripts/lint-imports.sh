#!/usr/bin/env bash
# Check the layering contracts in pyproject.toml ([tool.importlinter]) with lint-imports.
# effkit's subpackage effkit.metadata lives in the top-level folder metadata/ (setup.py maps
# it), which import-linter cannot see through the editable install: the check runs on a
# copy of the package laid out as it is installed.  Usage: bash scripts/lint-imports.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${EFFKIT_VENV:-$ROOT/.venv}/bin"
TREE="$(mktemp -d)"
trap 'rm -rf "$TREE"' EXIT
cp -r "$ROOT/toolkit/effkit" "$TREE/effkit"
cp -r "$ROOT/metadata" "$TREE/effkit/metadata"
find "$TREE" -name __pycache__ -prune -exec rm -rf {} +
cd "$TREE"
PYTHONPATH="$TREE" "$BIN/lint-imports" "$ROOT/pyproject.toml"
