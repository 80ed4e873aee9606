#!/usr/bin/env bash
# Print the path of a Python that news-ingest supports (3.11, 3.12 or 3.13), or fail in
# a second with a message saying what was looked for. Used by `make setup` when PYTHON is
# not given; `scripts/find-python.sh 3.13` asks for one version.
#
# Order: python3 when it is a supported version (the user's own default), then python3.13,
# python3.12, python3.11 on PATH, then pyenv's installed versions. Every candidate is run,
# not only looked up: a pyenv shim on PATH may name a version that is not selected
# ("pyenv: python3.12: command not found").
set -uo pipefail

SUPPORTED="3.11 3.12 3.13"
wanted="${1:-$SUPPORTED}"

version_of() {
    "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null
}

accept() {
    local found
    found="$(version_of "$1")" || return 1
    for v in $wanted; do
        if [ "$found" = "$v" ]; then
            command -v "$1"
            return 0
        fi
    done
    return 1
}

newest_first=()
for v in $wanted; do newest_first=("$v" "${newest_first[@]}"); done
candidates=(python3)
for v in "${newest_first[@]}"; do candidates+=("python$v"); done
root="${PYENV_ROOT:-$HOME/.pyenv}"
for v in "${newest_first[@]}"; do
    for path in "$root"/versions/"$v".*/bin/python"$v"; do
        if [ -x "$path" ]; then candidates+=("$path"); fi
    done
done

for candidate in "${candidates[@]}"; do
    if command -v "$candidate" >/dev/null 2>&1 && accept "$candidate"; then
        exit 0
    fi
done
echo "news-ingest needs Python ${wanted// /, } (looked for: ${candidates[*]}); install one" \
    "(e.g. apt-get install python3, or pyenv install 3.13) or run make PYTHON=/path/to/python3.x" >&2
exit 1
