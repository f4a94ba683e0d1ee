"""Seven tasks doing a provisioning saga's external work, plainly.

The same calls to the simulator as a saga with no boot wait (create a
droplet, read its status once, look up the DNS record, write it), through
python-digitalocean, one library object per call as its documentation
shows; and the same number of PostgreSQL writes as a saga makes in the
worker (measured by the benchmark's counted phase, ``WRITES``), through
psycopg2 on one autocommitted connection per pool process. No ledger, no
claims, no compensation: what is left of a saga's cost beyond this is the
engine's.
"""

from __future__ import annotations

import json
import os

import digitalocean
import psycopg2
import redis
from celery import chain

from bench.plain.app import app

DONE_KEY = "bench:plain:done"
DOMAIN = "arcadia.test"
TOKEN = os.environ.get("DIGITALOCEAN_TOKEN", "dosim-token")

# PostgreSQL writes per chain, task by task: as many write statements as a
# saga's worker sends (20, counted by ``make bench`` before the engine was
# trimmed: a claim and a record per step, the saga starting, the steps' own
# writes), each one statement here. The publisher's writes (the service
# layer's 5) are in ``publish``.
WRITES = (
    ("update", "update", "update", "insert"),
    ("update", "insert"),
    ("update", "insert"),
    ("update", "insert", "insert"),
    ("update", "update", "update", "insert"),
    ("update", "insert"),
    ("update", "update", "insert"),
)


SCHEMA = """
CREATE TABLE IF NOT EXISTS plain_chain (
    id bigserial PRIMARY KEY, name text NOT NULL UNIQUE, status text NOT NULL,
    step smallint NOT NULL DEFAULT 0, context jsonb NOT NULL DEFAULT '{}',
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS plain_event (
    id bigserial PRIMARY KEY, chain_id bigint NOT NULL REFERENCES plain_chain (id),
    task smallint NOT NULL, detail jsonb NOT NULL, at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS plain_event_chain ON plain_event (chain_id);
"""

_db = None


def _cursor():
    """One connection per pool process, opened on first use, autocommitted."""
    global _db
    if _db is None or _db.closed:
        _db = psycopg2.connect(os.environ["DATABASE_URL"])
        _db.autocommit = True
    return _db.cursor()


def _write(state: dict, task: int, outputs: dict) -> None:
    with _cursor() as cur:
        for kind in WRITES[task]:
            if kind == "update":
                cur.execute(
                    "UPDATE plain_chain SET step = %s, context = context || %s::jsonb, updated_at = now()"
                    " WHERE id = %s",
                    [task, json.dumps(outputs), state["id"]],
                )
            else:
                cur.execute(
                    "INSERT INTO plain_event (chain_id, task, detail) VALUES (%s, %s, %s::jsonb)",
                    [state["id"], task, json.dumps(outputs)],
                )


def _api(cls, **fields):
    # The end point comes from DIGITALOCEAN_END_POINT, which the library reads itself.
    return cls(token=TOKEN, **fields)


@app.task(name="plain.mark")
def mark(state: dict) -> dict:
    _write(state, 0, {"status": "provisioning"})
    return state


@app.task(name="plain.create_droplet")
def create_droplet(state: dict) -> dict:
    droplet = _api(
        digitalocean.Droplet,
        name=state["name"],
        region="nyc3",
        size_slug="s-1vcpu-1gb",
        image="ubuntu-24-04-x64",
        tags=["plain"],
    )
    droplet.create()
    state["droplet_id"] = droplet.id
    _write(state, 1, {"droplet_id": droplet.id})
    return state


@app.task(name="plain.wait_droplet_active", bind=True, max_retries=None)
def wait_droplet_active(self, state: dict) -> dict:
    droplet = _api(digitalocean.Droplet, id=state["droplet_id"])
    droplet.load()
    if droplet.status != "active" or not droplet.ip_address:
        raise self.retry(countdown=0.2)
    state["ipv4"] = droplet.ip_address
    _write(state, 2, {"ipv4": droplet.ip_address})
    return state


@app.task(name="plain.register_droplet")
def register_droplet(state: dict) -> dict:
    _write(state, 3, {"resource": state["droplet_id"]})
    return state


@app.task(name="plain.link")
def link(state: dict) -> dict:
    _write(state, 4, {"linked": True})
    return state


@app.task(name="plain.point_dns")
def point_dns(state: dict) -> dict:
    zone = _api(digitalocean.Domain, name=DOMAIN)
    fqdn = f"{state['name']}.{DOMAIN}"
    current = [r for r in zone.get_records(params={"type": "A", "name": fqdn}) if r.name == state["name"]]
    if current:
        record_id = current[0].id
    else:
        record = _api(
            digitalocean.Record, domain_name=DOMAIN, type="A", name=state["name"], data=state["ipv4"], ttl=300
        )
        record.create()
        record_id = record.id
    _write(state, 5, {"dns_record_id": record_id})
    return state


@app.task(name="plain.activate")
def activate(state: dict) -> None:
    _write(state, 6, {"status": "active"})
    redis.Redis.from_url(app.conf.broker_url).incr(DONE_KEY)


TASKS = (mark, create_droplet, wait_droplet_active, register_droplet, link, point_dns, activate)


def publish(cur, name: str, service_writes: int) -> None:
    """What the service layer does for a saga, plainly: its writes in one
    transaction (the row the chain works on first), then the chain."""
    cur.execute("INSERT INTO plain_chain (name, status) VALUES (%s, 'pending') RETURNING id", [name])
    chain_id = cur.fetchone()[0]
    for _ in range(service_writes - 2):
        cur.execute(
            "INSERT INTO plain_event (chain_id, task, detail) VALUES (%s, -1, '{}')",
            [chain_id],
        )
    cur.execute("UPDATE plain_chain SET status = 'provisioning' WHERE id = %s", [chain_id])
    cur.connection.commit()
    first, *rest = TASKS
    chain(first.s({"id": chain_id, "name": name}), *(t.s() for t in rest)).apply_async()
