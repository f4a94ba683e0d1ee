"""Shared status reads against the simulator over real HTTP: many waiting
droplets cost one listing per poll interval; a droplet the listing misses
(tag lag, a brief 404) is read by id and still finishes."""

import time

import pytest

from dosim import faults as F
from inventory.gateway import GatewayTransientError, get_gateway
from inventory.status_reads import droplet_status_read
from tests.gateway.helpers import SPEC

INTERVAL = 1.0


def create(gw, n):
    before = time.time()
    return [gw.droplet_create(**SPEC, tags=["arcadia"]).id for _ in range(n)], before


def poll_all(gw, ids, since):
    return {i: droplet_status_read(gw, i, tag="arcadia", interval=INTERVAL, since=since) for i in ids}


def test_twenty_waiting_droplets_cost_one_listing_per_poll_interval(dosim):
    dosim.configure(boot_delay=2.5)
    gw = get_gateway()
    ids, since = create(gw, 20)
    time.sleep(1.1)  # a listing made now is newer than every create
    rounds = []
    for _ in range(3):
        start = len(dosim.requests())
        reads = poll_all(gw, ids, since)
        polls = dosim.requests()[start:]
        rounds.append(([r["operation"] for r in polls], reads))
        time.sleep(INTERVAL)
    first_ops, _ = rounds[0]
    # The first saga alone is cheaper by id; from the second on, one listing.
    assert first_ops.count(F.DROPLET_LIST) == 1 and first_ops.count(F.DROPLET_GET) <= 1
    for ops, reads in rounds[1:]:
        assert ops == [F.DROPLET_LIST]
        assert all(r.known and r.source == "list" for r in reads.values())
    time.sleep(1.0)
    final = poll_all(gw, ids, since)
    assert all(r.droplet.status == "active" and r.droplet.ipv4 for r in final.values())


def test_the_last_droplet_waiting_is_read_by_id_not_from_a_stale_listing(dosim):
    # Alone, it is too few for a listing to pay, so none comes: the last
    # listing's row (booting) once stood in for up to two intervals after the
    # droplet was active (the fleet drill's last saga, seen 9 s late).
    gw, interval = get_gateway(), 4.0
    dosim.configure(boot_delay=0)
    [early], since = create(gw, 1)
    dosim.configure(boot_delay=3.0)
    [last], _ = create(gw, 1)
    time.sleep(1.1)  # a listing made now is newer than both creates

    def read(droplet_id):
        return droplet_status_read(gw, droplet_id, tag="arcadia", interval=interval, since=since)

    assert read(last).source == "get"  # one waiting: by id
    assert read(early).source == "list"  # two waiting: a listing; early is active, done waiting
    again = read(last)
    assert again.source == "list" and again.droplet.status == "new"
    time.sleep(interval + 1.5)  # the listing is stale, not twice the interval old; the droplet active
    start = len(dosim.requests())
    final = read(last)
    assert final.droplet.status == "active", final
    assert [r["operation"] for r in dosim.requests()[start:]] == [F.DROPLET_GET]


def test_a_droplet_missing_from_the_listing_is_read_by_id(dosim):
    dosim.configure(boot_delay=0)
    gw = get_gateway()
    listed, since = create(gw, 3)
    dosim.faults(F.DROPLET_LIST, tag_lag=30)  # the next one is not listed for a while
    [lagging], _ = create(gw, 1)
    time.sleep(1.1)
    reads = poll_all(gw, [*listed, lagging], since)
    assert reads[lagging].source == "get" and reads[lagging].droplet.status == "active"
    assert {reads[i].source for i in listed} <= {"list", "get"}


def test_a_droplet_that_404s_once_still_finishes(dosim):
    dosim.configure(boot_delay=0)
    gw = get_gateway()
    others, since = create(gw, 2)
    dosim.faults(F.DROPLET_LIST, tag_lag=30)
    # A window far longer than the test: the first read is in it however
    # slow the machine; then it closes (the fault cleared), not by the clock.
    dosim.faults(F.DROPLET_GET, not_found_for=600)
    [late], _ = create(gw, 1)
    time.sleep(1.1)
    first = poll_all(gw, [*others, late], since)[late]
    assert first.known and first.droplet is None  # a 404 just after create: not ready yet
    dosim.faults(F.DROPLET_GET, not_found_for=0)
    time.sleep(1.0)
    second = poll_all(gw, [*others, late], since)[late]
    assert second.droplet is not None and second.droplet.status == "active"


def test_with_few_waiting_each_reads_its_own_droplet(dosim):
    dosim.configure(boot_delay=0)
    gw = get_gateway()
    [only], since = create(gw, 1)
    read = droplet_status_read(gw, only, tag="arcadia", interval=INTERVAL, since=since)
    assert read.source == "get" and read.droplet.status == "active"
    assert [r["operation"] for r in dosim.requests()][-1] == F.DROPLET_GET


def test_without_the_snapshot_store_a_read_waits_for_the_budget_instead_of_crashing(dosim, settings):
    # A Redis outage once failed wait_droplet_active with redis's
    # ConnectionError, and the saga rolled back (make chaos, redis drill).
    gw = get_gateway()
    [droplet], since = create(gw, 1)
    before = len(dosim.requests())
    working, settings.ARCADIA_RATE_LIMIT_URL = settings.ARCADIA_RATE_LIMIT_URL, "redis://127.0.0.1:9/0"
    try:  # nothing listens on port 9
        with pytest.raises(GatewayTransientError, match="budget is unavailable"):
            droplet_status_read(gw, droplet, tag="arcadia", interval=INTERVAL, since=since)
    finally:
        settings.ARCADIA_RATE_LIMIT_URL = working  # the fixture's teardown resets the budget there
    assert len(dosim.requests()) == before  # no permit, no call
