#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback for the ledger tests (Debian's `postgresql` package).
#
#   eval "$(scripts/test_postgres.sh start)"   # exports ROUTINEC_TEST_POSTGRES_URL and _DIR
#   scripts/test_postgres.sh stop "$ROUTINEC_TEST_POSTGRES_DIR"
#
# The server lives in a new folder under $TMPDIR (or /tmp). As root it runs as the `postgres`
# user (PostgreSQL refuses to run as root), so that folder is made readable to it.
set -euo pipefail
cmd=${1:?usage: test_postgres.sh start | stop DIR}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || { echo "no PostgreSQL server: apt-get install postgresql" >&2; exit 2; }
run=()
if [ "$(id -u)" = 0 ]; then run=(runuser -u postgres --); fi
case "$cmd" in
  start)
    dir=$(mktemp -d "${TMPDIR:-/tmp}/routinec-pg-XXXXXX")
    chmod 755 "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    "${run[@]}" "$bin/initdb" -D "$dir/data" -A trust -U routinec --no-sync >"$dir/initdb.log"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
    echo "export ROUTINEC_TEST_POSTGRES_URL=postgresql://routinec@127.0.0.1:$port/postgres"
    echo "export ROUTINEC_TEST_POSTGRES_DIR=$dir"
    ;;
  stop)
    dir=${2:?usage: test_postgres.sh stop DIR}
    "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
  *) echo "usage: test_postgres.sh start | stop DIR" >&2; exit 2 ;;
esac
