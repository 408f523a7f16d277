#!/usr/bin/env bash
# httpsh against nginx and lighttpd on this machine (see Benchmarks/README.md).
#   make bench            the full run (about 15 minutes)
#   QUICK=1 make bench    a roughly one-minute run
#   KEEP=1                keep the temporary folder (configs, server logs) for a look afterwards
# Installs wrk, nginx-light and lighttpd when missing, builds httpsh in release mode, runs bench.py in a fresh
# temporary folder, and kills every server it started when it exits, however it exits.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
sudo_cmd=""
[ "$(id -u)" = 0 ] || sudo_cmd="sudo"

install_missing_tools() {
    local missing=()
    command -v wrk >/dev/null || missing+=(wrk)
    command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
    command -v lighttpd >/dev/null || [ -x /usr/sbin/lighttpd ] || missing+=(lighttpd)
    command -v taskset >/dev/null || missing+=(util-linux)
    command -v python3 >/dev/null || missing+=(python3)
    [ ${#missing[@]} -eq 0 ] && return
    echo "installing ${missing[*]}"
    $sudo_cmd apt-get update -qq
    # RUNLEVEL=1 keeps the packages' scripts from starting system-wide nginx/lighttpd services on port 80.
    $sudo_cmd env RUNLEVEL=1 DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

build_httpsh() {
    (cd "$repo" && swift build -c release --product httpsh) >&2  # stdout is the report
}

# 10,000 idle connections need that many descriptors in the helper and in each server.
raise_descriptor_limit() {
    ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
}

kill_leftovers() {
    local pid
    if [ -f "$work/pids" ]; then
        while read -r pid; do
            pkill -KILL -P "$pid" 2>/dev/null || true
            kill -KILL "$pid" 2>/dev/null || true
        done <"$work/pids"
    fi
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}

export PATH="$PATH:/usr/sbin:/sbin"
install_missing_tools
build_httpsh
raise_descriptor_limit
work="$(mktemp -d "${TMPDIR:-/tmp}/httpsh-bench.XXXXXX")"
chmod 755 "$work"
trap kill_leftovers EXIT
python3 "$here/bench.py" "$work"
