#!/usr/bin/env bash
# A throwaway PostgreSQL for the lake warehouse's tests and for local use (docs/lake.md).
#
#   scripts/postgres.sh start [DIR]   initdb a cluster in DIR (a new temp dir if omitted),
#                                     start it on 127.0.0.1 at a free port, create the
#                                     database `news`, print its connection parameters
#   scripts/postgres.sh env DIR       print the connection parameters again
#   scripts/postgres.sh stop DIR      stop the server and remove DIR
#
# The parameters are printed as shell assignments (eval "$(scripts/postgres.sh start)"):
# PGHOST, PGPORT, PGUSER, PGDATABASE and NEWS_INGEST_PG_DIR. Trust authentication on
# 127.0.0.1 only, fsync off: never for data you want to keep.
#
# When no PostgreSQL server binaries are installed, it installs Debian's `postgresql` package
# with apt-get (as root, or with sudo without a password). initdb runs as the `postgres` user
# when started as root (PostgreSQL refuses to run as root), else as the current user.
set -euo pipefail

say() { echo "postgres.sh: $*" >&2; }
die() { say "$*"; exit 1; }

find_bindir() {
    local dir
    if command -v pg_config >/dev/null 2>&1; then
        dir="$(pg_config --bindir)"
        [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
    fi
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
    done
    return 1
}

install_postgresql() {
    local sudo=()
    command -v apt-get >/dev/null 2>&1 \
        || die "PostgreSQL is not installed and apt-get is not available; install it by hand"
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            sudo=(sudo -n)
        else
            die "PostgreSQL is not installed; as root: apt-get update && apt-get install -y postgresql"
        fi
    fi
    say "installing Debian's postgresql package (first time only)"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends postgresql >/dev/null
}

# Run a command as the cluster's owner: `postgres` when we are root, else ourselves.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

print_env() {
    local dir="$1"
    [ -f "$dir/port" ] || die "no cluster started by this script in $dir"
    echo "PGHOST=127.0.0.1"
    echo "PGPORT=$(cat "$dir/port")"
    echo "PGUSER=$(cat "$dir/user")"
    echo "PGDATABASE=news"
    echo "NEWS_INGEST_PG_DIR=$dir"
    echo "export PGHOST PGPORT PGUSER PGDATABASE NEWS_INGEST_PG_DIR"
}

start() {
    local dir="${1:-}" bindir user port
    bindir="$(find_bindir)" || { install_postgresql; bindir="$(find_bindir)"; } \
        || die "no initdb found after installing postgresql"
    [ -n "$dir" ] || dir="$(mktemp -d "${TMPDIR:-/tmp}/news-ingest-pg.XXXXXX")"
    mkdir -p "$dir"
    chmod 755 "$dir"
    user="$(id -un)"
    if [ "$(id -u)" -eq 0 ]; then
        user=postgres
        chown postgres "$dir"
    fi
    port="$(free_port)"
    as_owner "$bindir/initdb" -D "$dir/data" -U "$user" --auth=trust -E UTF8 --no-sync \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off \
            -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null || { cat "$dir/server.log" >&2; die "the server did not start"; }
    echo "$port" >"$dir/port"
    echo "$user" >"$dir/user"
    echo "$bindir" >"$dir/bindir"
    as_owner "$bindir/createdb" -h 127.0.0.1 -p "$port" -U "$user" news
    print_env "$dir"
}

stop() {
    local dir="${1:-}"
    [ -n "$dir" ] || die "usage: postgres.sh stop DIR"
    if [ -f "$dir/bindir" ] && [ -d "$dir/data" ]; then
        as_owner "$(cat "$dir/bindir")/pg_ctl" -D "$dir/data" -m immediate -w stop \
            >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
}

case "${1:-}" in
    start) start "${2:-}" ;;
    env) [ -n "${2:-}" ] || die "usage: postgres.sh env DIR"; print_env "$2" ;;
    stop) stop "${2:-}" ;;
    *) die "usage: postgres.sh start [DIR] | env DIR | stop DIR" ;;
esac
