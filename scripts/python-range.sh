#!/usr/bin/env bash
# The Pythons effkit supports, read from pyproject.toml's requires-python (">=3.A,<3.B"),
# the one place the range is kept. Sourced by setup.sh and smoke-pythons.sh; `bash
# scripts/python-range.sh` prints the interpreter setup.sh would use (or its error).
#
# On a Python outside the range `pip install` fails late and obscurely ("No matching
# distribution found for tensorflow-cpu": TensorFlow 2.21 has no wheels for 3.14 or 3.9),
# so setup.sh picks a supported interpreter before it makes .venv.

EFFKIT_ROOT=${EFFKIT_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}

# "3.10 3.11 3.12 3.13"
supported_minors() {
  local range low high
  range=$(sed -n 's/^requires-python = ">=3\.\([0-9]*\),<3\.\([0-9]*\)".*/\1 \2/p' "$EFFKIT_ROOT/pyproject.toml")
  read -r low high <<<"$range"
  if [ -z "${low:-}" ] || [ -z "${high:-}" ]; then
    echo "python-range.sh: pyproject.toml's requires-python is not of the form \">=3.A,<3.B\"" >&2
    return 1
  fi
  seq -f "3.%g" "$low" $((high - 1)) | tr '\n' ' ' | sed 's/ $//'
}

# "3.10 to 3.13"
supported_words() {
  local minors
  minors=$(supported_minors) || return 1
  echo "${minors%% *} to ${minors##* }"
}

# The X.Y of an interpreter, empty if it does not run.
python_minor() {
  "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true
}

# Why MINOR is outside the range, in parentheses, or nothing for an older Python.
why_not() {
  local high
  high=$(supported_minors) || return 0
  high=${high##*.}
  if [ -n "$1" ] && [ "${1#*.}" -gt "$high" ]; then
    echo " (TensorFlow has no stable wheels for Python $1 yet)"
  fi
}

is_supported() {
  local minor=$1 m
  for m in $(supported_minors); do [ "$m" = "$minor" ] && return 0; done
  return 1
}

# The newest installed Python of one minor version (3.13): pyenv's, else python3.13 on PATH;
# nothing (status 0) when there is none. The CI scripts' one way to find each Python.
python_for_minor() {
  local found
  found=$({ find "$HOME/.pyenv/versions" -maxdepth 3 -path "*/versions/$1.*/bin/python" 2>/dev/null \
            || true; } | sort -V | tail -n 1)
  [ -n "$found" ] || found=$(command -v "python$1" || true)
  echo "$found"
}

# Prints the interpreter to make .venv with: $PYTHON if set (refused outside the range),
# else python3, else the newest python3.X on PATH within the range. One error line and
# status 1 when there is none; a note on stderr when python3 was passed over.
pick_python() {
  local words minor shown candidate m high_minor
  words=$(supported_words) || return 1
  high_minor=${words##*.}
  if [ -n "${PYTHON:-}" ]; then
    minor=$(python_minor "$PYTHON")
    if [ -z "$minor" ]; then
      echo "error: PYTHON=$PYTHON does not run: set PYTHON to a Python $words" >&2
      return 1
    fi
    if ! is_supported "$minor"; then
      echo "error: PYTHON=$PYTHON is Python $minor; effkit needs Python $words$(why_not "$minor"): set PYTHON to one of those" >&2
      return 1
    fi
    echo "$PYTHON"
    return 0
  fi
  minor=$(python_minor python3)
  shown=${minor:+Python $minor}
  shown=${shown:-missing}
  if [ -n "$minor" ] && is_supported "$minor"; then
    echo python3
    return 0
  fi
  for m in $(supported_minors | tr ' ' '\n' | sort -t. -k2 -n -r); do
    candidate=python$m
    if [ "$(python_minor "$candidate")" = "$m" ]; then
      echo "== python3 is $shown, outside $words$(why_not "$minor"); using $candidate" >&2
      echo "$candidate"
      return 0
    fi
  done
  echo "error: effkit needs Python $words$(why_not "$minor") and python3 is $shown," \
       "with no python3.X of those on PATH: install one (e.g. python3.${high_minor}) or set PYTHON=/path/to/python3.${high_minor}" >&2
  return 1
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  pick_python
fi
