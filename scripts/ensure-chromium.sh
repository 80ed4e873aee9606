#!/usr/bin/env bash
# Make sure Debian's `chromium` is installed: the HTML report's browser test renders the
# report in it (tests/flows/app/test_report.py). Idempotent: a no-op when chromium is already
# on PATH; otherwise installs the Debian package (needs root, or sudo without a password).
# Where it cannot install, it fails under CI (CI=true) and only warns elsewhere (the browser
# tests then skip).
set -euo pipefail

cannot() {
    echo "ensure-chromium: $*" >&2
    if [ -n "${CI:-}" ]; then exit 1; fi
    echo "ensure-chromium: the browser tests will be skipped" >&2
    exit 0
}

if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    cannot "chromium is not installed and apt-get is not available; install Chromium by hand"
fi
if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
else
    cannot "chromium is not installed; as root: apt-get update && apt-get install -y chromium"
fi
export DEBIAN_FRONTEND=noninteractive
echo "ensure-chromium: installing Debian's chromium package (first time only)" >&2
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
command -v chromium >/dev/null
