#!/usr/bin/env bash
# `make up`: the whole Arcadia stack on this machine, against the local
# PostgreSQL and Redis: web, worker, beat, flower and the DigitalOcean
# simulator under honcho, from the Procfile. Ctrl-C stops everything.
#
# Every default below can be overridden from the environment, e.g. to run a
# second stack beside the first:
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/arcadia_up \
#   CELERY_BROKER_URL=redis://127.0.0.1:6379/5 WEB_PORT=8100 FLOWER_PORT=5655 \
#   DOSIM_PORT=8189 make up
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${VENV:-.venv}"
export PATH="$PWD/$VENV/bin:$PATH"

export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/arcadia}"
export CELERY_BROKER_URL="${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0}"
export WEB_PORT="${WEB_PORT:-8000}" FLOWER_PORT="${FLOWER_PORT:-5555}" DOSIM_PORT="${DOSIM_PORT:-8089}"
# This machine only: other hosts have no business with a demo stack.
export WEB_BIND="${WEB_BIND:-127.0.0.1}" FLOWER_ADDRESS="${FLOWER_ADDRESS:-127.0.0.1}"
export DIGITALOCEAN_API_URL="${DIGITALOCEAN_API_URL:-http://127.0.0.1:${DOSIM_PORT}/v2/}"
export FLOWER_BASIC_AUTH="${FLOWER_BASIC_AUTH:-admin:arcadia}"
export FLOWER_URL="${FLOWER_URL:-http://127.0.0.1:${FLOWER_PORT}}"
# The simulator boots droplets in seconds: poll it often so a demo is quick.
export ARCADIA_DROPLET_POLL_INTERVAL="${ARCADIA_DROPLET_POLL_INTERVAL:-1}"
# Local, gitignored, one per web port so two stacks do not share a schedule.
export CELERY_BEAT_SCHEDULE_FILE="${CELERY_BEAT_SCHEDULE_FILE:-$PWD/celerybeat-schedule-${WEB_PORT}}"
ADMIN_USERNAME="${ADMIN_USERNAME:-admin}"
ADMIN_PASSWORD="${ADMIN_PASSWORD:-arcadia-admin}"
DEMO_TENANT="${DEMO_TENANT:-demo}"
DEMO_USERNAME="${DEMO_USERNAME:-demo}"
API="http://127.0.0.1:${WEB_PORT}"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'make up: %s\n' "$*" >&2; exit 1; }

say "checking PostgreSQL and Redis"
python scripts/local_services.py check-redis "$CELERY_BROKER_URL" ||
  die "Redis is not reachable at $CELERY_BROKER_URL (start it: redis-server --daemonize yes)"
python scripts/local_services.py ensure-database "$DATABASE_URL" ||
  die "PostgreSQL is not reachable for $DATABASE_URL (start it, or set DATABASE_URL)"
for port in "$WEB_PORT" "$FLOWER_PORT" "$DOSIM_PORT"; do
  python scripts/local_services.py port-free "$port" ||
    die "port $port is taken; set WEB_PORT / FLOWER_PORT / DOSIM_PORT to free ones"
done

say "release: migrations"
scripts/procfile-exec release

say "demo tenant user and staff superuser"
TOKEN="$(python manage.py create_tenant_user --tenant "$DEMO_TENANT" --username "$DEMO_USERNAME" 2>/dev/null)"
python scripts/local_services.py ensure-superuser "$ADMIN_USERNAME" "$ADMIN_PASSWORD"

say "starting web, worker, beat, flower, dosim (honcho, each under scripts/supervise)"
# honcho stops everything when one process exits; each runs under
# scripts/supervise, which starts it again instead (a worker that died on a
# broker blip comes back, the others keep running).
PROCESSES="web worker beat flower dosim"
SUPERVISED="$(mktemp "${TMPDIR:-/tmp}/arcadia-procfile.XXXXXX")"
for name in $PROCESSES; do echo "$name: scripts/supervise $name"; done >"$SUPERVISED"
honcho start -f "$SUPERVISED" -d "$PWD" -p "$WEB_PORT" $PROCESSES &
HONCHO_PID=$!
# Ctrl-C reaches honcho through the process group; a TERM to this script is
# passed on so honcho stops its children.
trap 'kill -TERM "$HONCHO_PID" 2>/dev/null || true' TERM
trap 'true' INT

python scripts/local_services.py wait-http "$API/healthz" 60 ||
  { kill -TERM "$HONCHO_PID" 2>/dev/null || true; wait "$HONCHO_PID" || true; die "web did not become healthy"; }

cat >&2 <<EOF

  Arcadia is up.
    API          $API/api/deployments/
    API docs     $API/api/docs/
    admin        $API/admin/            user $ADMIN_USERNAME  password $ADMIN_PASSWORD
    Flower       $FLOWER_URL/           basic auth $FLOWER_BASIC_AUTH
    simulator    $DIGITALOCEAN_API_URL
    health       $API/healthz

  Demo tenant '$DEMO_TENANT', user '$DEMO_USERNAME', API token:
    $TOKEN

  Try:
    curl -s -X POST $API/api/deployments/ -H "Authorization: Token $TOKEN" \\
      -H "Content-Type: application/json" \\
      -d '{"name": "web1", "region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64", "provision": true}'

  Ctrl-C stops everything.

EOF

wait "$HONCHO_PID" || true
rm -f "$SUPERVISED"
