#!/usr/bin/env bash
# For each supported Python: a fresh venv, `pip install .`, then
# `effkit build --variant lite0 --target cpu` from outside the checkout with an empty
# cache (EFFKIT_CACHE_DIR), checking the manifest; then that every Python built the same
# model bytes (the default calibration set ships in the wheel, so nothing version-dependent
# goes into the model; the processor does change the bytes, docs/calibration.md). Pythons: those pyproject.toml's requires-python
# admits, from pyenv (~/.pyenv/versions) or PATH. Last, the lowest of them with every
# dependency at its declared lower bound.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=python-range.sh
. "$root/scripts/python-range.sh"
minors=$(supported_minors)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
passed=0
failed=0
for minor in $minors; do
  py=$(python_for_minor "$minor")
  if [ -z "$py" ]; then
    echo "smoke: python$minor not found, skipped"
    continue
  fi
  echo "== smoke: $($py --version)"
  "$py" -m venv "$work/venv$minor"
  "$work/venv$minor/bin/python" -m pip install -q --upgrade pip >/dev/null
  if ! "$work/venv$minor/bin/python" -m pip install -q "$root" >"$work/pip$minor.log" 2>&1; then
    tail -n 20 "$work/pip$minor.log"; echo "smoke: FAILED to install on $minor"; status=1; failed=$((failed+1)); continue
  fi
  mkdir "$work/cache$minor"
  if (cd "$work" && EFFKIT_CACHE_DIR="$work/cache$minor" "$work/venv$minor/bin/effkit" build \
        --variant lite0 --target cpu --out "$work/out$minor" --json >"$work/build$minor.json") &&
     "$work/venv$minor/bin/python" - "$work/build$minor.json" >>"$work/sha256s" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["calibration"]["origin"] == "shipped", doc["calibration"]
assert doc["quantization"] == {"mode": "int8", "io": "uint8", "bias_correction": True,
                               "weight_rounding": "nearest"}, doc["quantization"]
names = {a["path"] for a in doc["artifacts"]}
assert {"model.tflite", "labels.txt"} <= names, names
model = next(a for a in doc["artifacts"] if a["path"] == "model.tflite")
print(f"smoke: ok, python {doc['versions']['python']}, tensorflow {doc['versions']['tensorflow']}, "
      f"model {model['bytes']} bytes, sha256 {model['sha256']}", file=sys.stderr)
print(model["sha256"])
PY
  then
    passed=$((passed+1))
  else
    echo "smoke: FAILED to build on $minor"; status=1; failed=$((failed+1))
  fi
done
if [ "$passed" -gt 1 ]; then
  if [ "$(sort -u "$work/sha256s" | wc -l)" = 1 ]; then
    echo "smoke: all $passed Pythons built the same model.tflite ($(head -n 1 "$work/sha256s"))"
  else
    echo "smoke: FAILED: the Pythons built different model bytes:"; cat "$work/sha256s"
    status=1; failed=$((failed+1))
  fi
fi
# The lowest Python with every dependency at the lower bound pyproject.toml declares (the
# "oldest rich or typer already installed" case): install, --help, a build. Its bytes may
# differ (another TensorFlow), so only that it works is checked.
lowest=$(echo "$minors" | tr ' ' '\n' | sort -V | head -n 1)
py=$(python_for_minor "$lowest")
if [ -z "$py" ]; then
  echo "smoke: FAILED: python$lowest not found for the lower bounds"; status=1; failed=$((failed+1))
else
  echo "== smoke: $($py --version) with the declared lower bounds"
  if ! "$py" - "$root/pyproject.toml" >"$work/floors.txt" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
deps = re.search(r"^dependencies = \[(.*?)^\]", text, re.S | re.M)
if deps is None:
    sys.exit("smoke: no dependencies = [...] list in pyproject.toml")
for spec in re.findall(r'^\s*"([^"]+)"', deps.group(1), re.M):
    floor = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([^;,<>=!~\s]+)\s*(;.*)?", spec)
    if floor:  # name>=X[; marker] -> name==X[; marker]
        print(f"{floor[1]}=={floor[2]}{floor[3] or ''}")
    elif not re.fullmatch(r"[A-Za-z0-9_.-]+==[^;,\s]+\s*(;.*)?", spec):  # a pin is its own floor
        sys.exit(f"smoke: cannot read the lower bound of {spec!r}: write it as name>=X")
PY
  then
    echo "smoke: FAILED to read the lower bounds"; status=1; failed=$((failed+1))
  fi
  "$py" -m venv "$work/venvfloor"
  "$work/venvfloor/bin/python" -m pip install -q --upgrade pip >/dev/null
  if ! "$work/venvfloor/bin/python" -m pip install -q -c "$work/floors.txt" "$root" >"$work/pipfloor.log" 2>&1; then
    tail -n 20 "$work/pipfloor.log"; echo "smoke: FAILED to install the lower bounds"; status=1; failed=$((failed+1))
  elif "$work/venvfloor/bin/effkit" --help >/dev/null &&
       (cd "$work" && EFFKIT_CACHE_DIR="$work/cachefloor" "$work/venvfloor/bin/effkit" build \
          --variant lite0 --target coral --skip-compile --out "$work/outfloor" --json >"$work/buildfloor.json") &&
       "$work/venvfloor/bin/python" -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["calibration"]["origin"] == "shipped"; print("smoke: ok with the lower bounds:", ", ".join(f"{k} {v}" for k, v in d["versions"].items() if k in ("python", "tensorflow", "keras", "numpy")), file=sys.stderr)' "$work/buildfloor.json"; then
    passed=$((passed+1))
  else
    echo "smoke: FAILED with the lower bounds ($(tr '\n' ' ' <"$work/floors.txt"))"; status=1; failed=$((failed+1))
  fi
fi
echo "smoke: ${passed:-0} passed, ${failed:-0} failed"
exit $status
