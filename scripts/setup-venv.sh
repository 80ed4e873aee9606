#!/usr/bin/env bash
# Create the virtual environment ($VENV, default .venv) with a supported Python, install the
# pinned dependencies (requirements.lock) and the project, and compile the project's modules.
# It never leaves a broken environment behind: an environment whose Python is missing or not
# supported is made again, and one whose installation failed is removed, so the next
# `make` starts clean instead of failing on it.
set -euo pipefail

VENV="${VENV:-.venv}"
PYTHON="${PYTHON:-}"
CHECK='import sys; sys.exit(not ((3, 11) <= sys.version_info[:2] <= (3, 13)))'
PIP=(--quiet --disable-pip-version-check)

if [ -n "$PYTHON" ]; then
    if ! "$PYTHON" -c "$CHECK" 2>/dev/null; then
        echo "news-ingest: PYTHON=$PYTHON is not Python 3.11, 3.12 or 3.13" >&2
        exit 1
    fi
else
    PYTHON="$("$(dirname "$0")/find-python.sh")"
fi

if [ -e "$VENV" ] && ! "$VENV/bin/python" -c "$CHECK" 2>/dev/null; then
    echo "news-ingest: $VENV has no working Python 3.11-3.13; making it again" >&2
    rm -rf "$VENV"
fi
version() { "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])'; }
if [ -e "$VENV" ] && [ "$(version "$VENV/bin/python")" != "$(version "$PYTHON")" ]; then
    echo "news-ingest: $VENV is Python $(version "$VENV/bin/python"), not $(version "$PYTHON");" \
        "making it again" >&2
    rm -rf "$VENV"
fi

made_here=0
[ -e "$VENV" ] || made_here=1
cleanup() {
    echo "news-ingest: setting up $VENV failed; removed it so the next make starts clean" >&2
    rm -rf "$VENV"
}
trap cleanup ERR

if [ "$made_here" = 1 ]; then
    echo "news-ingest: creating $VENV with $("$PYTHON" --version) ($PYTHON)" >&2
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install "${PIP[@]}" -r requirements.lock
"$VENV/bin/python" -m pip install "${PIP[@]}" --no-deps --no-build-isolation -e .
"$VENV/bin/python" -m compileall -q news_ingest flows connectors warehouse
touch "$VENV/.installed"
