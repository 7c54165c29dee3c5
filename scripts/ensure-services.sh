#!/usr/bin/env bash
# Makes sure the PostgreSQL and Redis that the cluster tests use are running on this machine, starting
# whichever is down, and waits until both answer; installs nginx for the load-balancer test. Safe to
# run when all is there already (does nothing).
#
#   PostgreSQL 127.0.0.1:5432 (trust auth, database "test")   Redis 127.0.0.1:6379 (no persistence)
#
# Used by .ci/run; run it by hand before `npx vitest run test/cluster` on a fresh machine.
set -euo pipefail

PG_HOST=127.0.0.1
PG_PORT=5432
REDIS_HOST=127.0.0.1
REDIS_PORT=6379
WAIT_SECONDS=30

pg_up() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; }
redis_up() { [ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]; }

# wait_for NAME CHECK: polls CHECK once a second, at most WAIT_SECONDS times.
wait_for() {
  local name=$1 check=$2 i
  for ((i = 0; i < WAIT_SECONDS; i++)); do
    if "$check"; then
      echo "$name is up"
      return 0
    fi
    sleep 1
  done
  echo "error: $name did not answer within ${WAIT_SECONDS}s" >&2
  return 1
}

if ! command -v pg_isready >/dev/null || ! command -v redis-cli >/dev/null; then
  echo "error: needs PostgreSQL and Redis installed (Debian: apt-get install postgresql redis-server)" >&2
  exit 1
fi

if ! pg_up; then
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$version" ]; then
    echo "error: PostgreSQL is down and no cluster is configured in /etc/postgresql" >&2
    exit 1
  fi
  echo "starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
fi

if ! redis_up; then
  echo "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi

wait_for "PostgreSQL on $PG_HOST:$PG_PORT" pg_up
wait_for "Redis on $REDIS_HOST:$REDIS_PORT" redis_up

# nginx, for the tested load-balancer example (test/cluster/nginx.test.ts); only installed, never left running.
if ! command -v nginx >/dev/null; then
  echo "installing nginx"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx) >/dev/null
  # Debian starts the packaged site when it can; the tests run their own nginx.
  if [ -f /run/nginx.pid ]; then nginx -s quit || true; fi
fi

# The tests' database; created once (trust auth as the postgres user).
if ! psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d test -Atqc "SELECT 1" >/dev/null 2>&1; then
  echo "creating database test"
  psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -qc "CREATE DATABASE test"
fi
