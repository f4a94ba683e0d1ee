#!/usr/bin/env bash
# What the test suite needs on this machine, started or installed when it is
# missing: PostgreSQL, Redis and RabbitMQ on 127.0.0.1 (their standard ports),
# and Debian's Chromium for the browser tests. `make test` runs it first; CI
# runs `make test`. Where it cannot do something (not root, no such service
# installed) it says what to do and exits non-zero.
set -euo pipefail

say() { printf 'test set-up: %s\n' "$*" >&2; }
root() { [ "$(id -u)" = 0 ]; }

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if root && [ -d /etc/postgresql ]; then
    say "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
  else
    say "PostgreSQL is not answering on 127.0.0.1:5432: start it (trust auth for user postgres)"; exit 1
  fi
fi

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  if command -v redis-server >/dev/null; then
    say "starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  else
    say "Redis is not answering on 127.0.0.1:6379 and redis-server is not installed"; exit 1
  fi
fi

if ! timeout 10 rabbitmqctl -q status >/dev/null 2>&1; then
  if root && command -v rabbitmq-server >/dev/null; then
    say "starting RabbitMQ"
    rabbitmq-server -detached
    for _ in $(seq 60); do timeout 10 rabbitmqctl -q status >/dev/null 2>&1 && break; sleep 1; done
  else
    say "RabbitMQ is not running: start it (guest/guest on 127.0.0.1:5672), or run as root"; exit 1
  fi
fi

for _ in $(seq 30); do
  pg_isready -q -h 127.0.0.1 -p 5432 && redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break
  sleep 1
done

# The browser tests launch /usr/bin/chromium through Playwright, which never
# downloads a browser here; the metrics tests run Debian's prometheus and
# promtool.
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
if [ ${#need[@]} -gt 0 ]; then
  if root && command -v apt-get >/dev/null; then
    say "installing Debian's ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null 2>&1 || {
      apt-get update -q >/dev/null
      apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
    }
  else
    say "missing: ${need[*]}: apt-get install -y ${need[*]} (as root)"; exit 1
  fi
fi
