#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback for the store tests, for CI and
# for developers:
#
#   bash .ci/postgres.sh start          # initdb a fresh data directory, start the server
#   eval "$(bash .ci/postgres.sh env)"  # export STORE_POSTGRES_URL for go test
#   go test ./store/...
#   bash .ci/postgres.sh stop           # stop it and delete its data
#
# The server runs as an unprivileged user (initdb refuses root: as root it runs
# as "postgres", which Debian's package creates), listens on 127.0.0.1 only, on
# STORE_PG_PORT or the first free port from 55432, with a random password
# (scram-sha-256) that only the URL in the state directory holds. Durability is
# off (fsync, synchronous_commit): the data lives as long as the test run.
# State lives in STORE_PG_DIR, default /tmp/bulkjobs-pg-<hash of this checkout>,
# so two checkouts on one machine get two servers.
# The binaries come from /usr/lib/postgresql/*/bin (apt-get install -y postgresql).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
state=${STORE_PG_DIR:-/tmp/bulkjobs-pg-$(printf '%s' "$repo" | sha256sum | cut -c1-12)}

die() { echo "postgres.sh: $*" >&2; exit 1; }

# bindir prints the newest installed server's bin directory.
bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$d" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/initdb" ] ||
    die "no PostgreSQL server under /usr/lib/postgresql/*/bin; install it with: apt-get install -y postgresql"
  echo "$d"
}

# as runs a command as the server's user: postgres when we are root, else us.
as() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# port_free reports whether nothing listens on 127.0.0.1:$1.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

running() { [ -f "$state/data/postmaster.pid" ] && as "$(bindir)/pg_ctl" -D "$state/data" status >/dev/null 2>&1; }

start() {
  local bin port pw
  bin=$(bindir)
  if running; then
    echo "postgres.sh: already running (state in $state)"
    return
  fi
  rm -rf "$state"
  mkdir -p "$state/data" "$state/run"
  chmod 700 "$state"
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin postgres
    chown -R postgres: "$state"
  fi

  pw=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
  (umask 077 && printf '%s\n' "$pw" >"$state/pwfile")
  [ "$(id -u)" -ne 0 ] || chown postgres: "$state/pwfile"
  as "$bin/initdb" -D "$state/data" -U postgres --auth=scram-sha-256 --pwfile="$state/pwfile" \
    -E UTF8 --locale=C.UTF-8 >"$state/initdb.log" 2>&1 ||
    { cat "$state/initdb.log" >&2; die "initdb failed"; }
  rm -f "$state/pwfile"

  port=${STORE_PG_PORT:-}
  if [ -z "$port" ]; then
    port=55432
    while ! port_free "$port"; do
      port=$((port + 1))
      [ "$port" -lt 55532 ] || die "no free port from 55432 to 55531; set STORE_PG_PORT"
    done
  fi
  as "$bin/pg_ctl" -D "$state/data" -l "$state/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $state/run -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null ||
    { cat "$state/server.log" >&2; die "the server did not start"; }
  (umask 077 && printf 'postgres://postgres:%s@127.0.0.1:%s/postgres?sslmode=disable\n' "$pw" "$port" >"$state/url")
  echo "postgres.sh: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (state in $state)"
}

stop() {
  if running; then
    as "$(bindir)/pg_ctl" -D "$state/data" -m fast -w stop >/dev/null
  fi
  rm -rf "$state"
}

env_() {
  [ -f "$state/url" ] && running || die "not running: bash .ci/postgres.sh start"
  echo "export STORE_POSTGRES_URL='$(cat "$state/url")'"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
env) env_ ;;
status) if running; then echo "running (state in $state)"; else echo "not running"; exit 1; fi ;;
*) die "usage: $0 start|stop|env|status" ;;
esac
