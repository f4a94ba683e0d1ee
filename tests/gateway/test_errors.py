"""Every error class and every fault mode of the simulator surfaces from the
gateway as the right error type."""

import time

import pytest

from dosim import faults as F
from inventory.budget import budget_reset
from inventory.gateway import (
    DigitalOceanGateway,
    GatewayNotFound,
    GatewayPermanentError,
    GatewayThrottled,
    GatewayTransientError,
    get_gateway,
)
from tests.gateway.helpers import DOMAIN, SPEC


def create(gw, tag="t"):
    return gw.droplet_create(**SPEC, tags=[tag])


def every_call(gw):
    """One call per operation, keyed by its fault name."""
    droplet = create(gw, "seed")
    record = gw.record_create(DOMAIN, type="A", name="seed", data="192.0.2.1")
    return {
        F.DROPLET_CREATE: lambda: create(gw),
        F.DROPLET_GET: lambda: gw.droplet_get(droplet.id),
        F.DROPLET_LIST: lambda: gw.droplets_by_tag("seed"),
        F.DROPLET_DELETE: lambda: gw.droplet_destroy(droplet.id),
        F.RECORD_LIST: lambda: gw.record_find(DOMAIN, "seed"),
        F.RECORD_CREATE: lambda: gw.record_create(DOMAIN, type="A", name="x", data="192.0.2.2"),
        F.RECORD_UPDATE: lambda: gw.record_update(DOMAIN, record.id, data="192.0.2.3"),
        F.RECORD_DELETE: lambda: gw.record_delete(DOMAIN, record.id),
    }


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (500, GatewayTransientError),
        (502, GatewayTransientError),
        (503, GatewayTransientError),
        (429, GatewayTransientError),
        (400, GatewayPermanentError),
        (403, GatewayPermanentError),
        (422, GatewayPermanentError),
    ],
)
def test_injected_status_maps_to_error_class_on_every_operation(dosim, status, error):
    gw = get_gateway()
    calls = every_call(gw)
    for operation, call in calls.items():
        dosim.faults(operation, fail_next=1, status=status, message=f"{operation} broke")
        # A destroy's 422 is DigitalOcean's "event pending" (the droplet is
        # still being created): not destroyable yet, never given up on.
        expected = GatewayTransientError if (operation, status) == (F.DROPLET_DELETE, 422) else error
        with pytest.raises(expected) as caught:
            call()
        assert caught.value.status == status
        assert f"{operation} broke" in str(caught.value)
        if status == 429:
            # A 429 pauses the whole token: the next call is refused before it leaves.
            with pytest.raises(GatewayThrottled):
                call()
            budget_reset()
        call()  # only the next call failed


def test_404_is_not_found_where_gone_is_not_done(dosim):
    gw = get_gateway()
    with pytest.raises(GatewayNotFound):
        gw.droplet_get(1)
    with pytest.raises(GatewayNotFound):
        gw.record_update(DOMAIN, 1, data="192.0.2.1")
    with pytest.raises(GatewayNotFound):
        gw.record_find("no-such-zone.test", "web")


def test_401_is_permanent(dosim):
    gw = DigitalOceanGateway(api_url=dosim.api_url, token="wrong-token", timeout=5)
    with pytest.raises(GatewayPermanentError) as caught:
        gw.droplets_by_tag("x")
    assert caught.value.status == 401


def test_retry_after_of_an_injected_429_and_503(dosim):
    gw = get_gateway()
    dosim.faults(F.DROPLET_GET, fail_next=2, status=429, retry_after=7)
    for _ in range(2):
        with pytest.raises(GatewayTransientError) as caught:
            gw.droplet_get(1)
        assert caught.value.retry_after == 7
        budget_reset()  # the 429 paused the token for those 7 s


def test_an_exhausted_quota_in_the_headers_refuses_the_next_call_before_it_leaves(dosim):
    dosim.configure(rate_limit_per_minute=3)
    gw = get_gateway()
    for _ in range(3):
        gw.droplets_by_tag("x")
    with pytest.raises(GatewayThrottled) as caught:
        gw.droplets_by_tag("x")
    assert caught.value.status is None  # refused here: no 429 was answered
    assert 0 < caught.value.retry_after <= 60
    assert [r["status"] for r in dosim.requests()] == [200, 200, 200]


def test_a_429_answered_is_throttled_and_pauses_the_whole_token(dosim):
    # The budget has permits to spare: DigitalOcean itself answers 429.
    gw = get_gateway()
    dosim.faults(F.DROPLET_LIST, fail_next=1, status=429, retry_after=30)
    with pytest.raises(GatewayThrottled) as caught:
        gw.droplets_by_tag("x")
    assert caught.value.status == 429
    assert caught.value.retry_after >= 30
    # Paused: the next call, of any operation, is refused before it leaves.
    with pytest.raises(GatewayThrottled) as refused:
        gw.droplet_get(1)
    assert refused.value.status is None
    assert [r["status"] for r in dosim.requests()] == [429]


def test_connection_refused_is_transient(dosim):
    gw = DigitalOceanGateway(api_url="http://127.0.0.1:9/v2/", token=dosim.token, timeout=2)
    with pytest.raises(GatewayTransientError):
        gw.droplet_get(1)


def test_latency_past_the_timeout_is_transient(dosim):
    gw = DigitalOceanGateway(api_url=dosim.api_url, token=dosim.token, timeout=0.2)
    dosim.faults(F.DROPLET_GET, latency=5)
    with pytest.raises(GatewayTransientError, match="0.2"):
        gw.droplet_get(1)


def test_latency_within_the_timeout_only_delays(dosim):
    gw = DigitalOceanGateway(api_url=dosim.api_url, token=dosim.token, timeout=30)
    dosim.faults(F.DROPLET_LIST, latency=1.0)
    started = time.monotonic()
    assert gw.droplets_by_tag("x") == []
    # It waited for the slow answer (a lower bound: load only adds to it),
    # and sent the request once: no timeout, no retry. (Only this operation's
    # log: a request a previous test left hanging may land after the reset.)
    assert time.monotonic() - started >= 1.0
    assert [r["status"] for r in dosim.requests(F.DROPLET_LIST)] == [200]


def test_failure_rate_one_always_fails_and_zero_never(dosim):
    gw = get_gateway()
    dosim.faults(F.DROPLET_LIST, failure_rate=1.0, status=503)
    for _ in range(3):
        with pytest.raises(GatewayTransientError):
            gw.droplets_by_tag("x")
    dosim.faults(F.DROPLET_LIST, failure_rate=0.0)
    assert gw.droplets_by_tag("x") == []
