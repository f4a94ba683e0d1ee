"""Thread safety: concurrent clients get distinct ids and exact fault counts."""

from concurrent.futures import ThreadPoolExecutor

from dosim import faults as F
from inventory.gateway import GatewayTransientError, get_gateway
from tests.gateway.helpers import DOMAIN, SPEC


def test_concurrent_creates_get_distinct_droplets_and_addresses(dosim):
    dosim.configure(boot_delay=0)
    gw = get_gateway()
    with ThreadPoolExecutor(max_workers=8) as pool:
        created = list(pool.map(lambda i: gw.droplet_create(**SPEC, tags=[f"c{i % 3}"]), range(40)))
    assert len({d.id for d in created}) == 40
    addresses = {gw.droplet_get(d.id).ipv4 for d in created}
    assert len(addresses) == 40 and None not in addresses
    assert sum(len(gw.droplets_by_tag(f"c{i}")) for i in range(3)) == 40
    assert dosim.state()["counts"][F.DROPLET_CREATE] == 40


def test_fail_next_counts_exactly_under_concurrency(dosim):
    dosim.faults(F.RECORD_CREATE, fail_next=7, status=503)
    gw = get_gateway()

    def attempt(i):
        try:
            gw.record_create(DOMAIN, type="A", name=f"n{i}", data="192.0.2.1")
        except GatewayTransientError:
            return "failed"
        return "ok"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(attempt, range(30)))
    assert outcomes.count("failed") == 7
    assert len([r for r in dosim.records(DOMAIN) if r["type"] == "A"]) == 23
