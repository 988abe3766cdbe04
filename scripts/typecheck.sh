#!/usr/bin/env bash
# Type check effkit with mypy (settings in pyproject.toml, [tool.mypy]): bash scripts/typecheck.sh
# Extra arguments go to mypy. Exits non-zero on any type error; CI runs it before the tests.
#
# The installed package effkit is made of two folders (toolkit/effkit, and metadata/ as
# effkit.metadata; see setup.py), and the editable install's import finder is not something
# mypy can follow. So this builds .typecheck/effkit with the package's real shape: a symlink
# for every entry of toolkit/effkit (modules and subpackages alike, so moving modules into
# subpackages needs no change here) plus effkit/metadata -> metadata/, and checks that.
# Error paths are printed as the real files in the checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
tree=.typecheck
rm -rf "$tree"
mkdir -p "$tree/effkit"
for entry in toolkit/effkit/* toolkit/effkit/.[!.]*; do
  [ -e "$entry" ] || continue
  name=$(basename "$entry")
  case "$name" in __pycache__|metadata) continue ;; esac
  ln -s "$root/$entry" "$tree/effkit/$name"
done
ln -s "$root/metadata" "$tree/effkit/metadata"

python=${PYTHON:-.venv/bin/python}
set +e
MYPYPATH="$tree" "$python" -m mypy --config-file pyproject.toml --python-executable "$python" "$@" \
  | sed -e "s#^$tree/effkit/metadata/#metadata/#" -e "s#^$tree/effkit/#toolkit/effkit/#"
status=${PIPESTATUS[0]}
if [ "$#" -eq 0 ]; then
  # The whole package checked: then the Python examples of docs/api.md and the README, in
  # order, as one library user's script, against it (an example that no longer type-checks
  # fails here, not in a user's IDE).
  "$python" - "$tree/doc_examples.py" docs/api.md README.md <<'EOF_PY'
import re, sys
from pathlib import Path
blocks = [b for doc in sys.argv[2:] for b in re.findall(r"```python\n(.*?)```", Path(doc).read_text(), re.S)]
Path(sys.argv[1]).write_text("import effkit\n" + "\n".join(blocks))
EOF_PY
  # --no-implicit-reexport, as mypy --strict and pyright check a user's script: every name
  # the examples take from effkit must be exported (not only imported) by effkit/__init__.py
  MYPYPATH="$tree" "$python" -m mypy --config-file pyproject.toml --python-executable "$python" \
    --no-implicit-reexport "$tree/doc_examples.py" | sed -e "s#^$tree/doc_examples.py#docs/api.md+README.md examples#"
  examples=${PIPESTATUS[0]}
  [ "$status" -ne 0 ] || status=$examples
fi
rm -rf "$tree"
exit "$status"
