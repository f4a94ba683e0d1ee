"""The budget at the gateway, against the simulator over real HTTP."""

import pytest

from inventory.budget import budget_status
from inventory.gateway import GatewayThrottled, get_gateway
from provisioning.engine import Throttled
from provisioning.steps._gateway import gateway_errors
from tests.gateway.helpers import DOMAIN


@pytest.fixture
def limits(settings):
    def set_limits(per_minute=0, per_hour=0, share=1.0):
        settings.ARCADIA_DO_RATE_LIMIT_PER_MINUTE = per_minute
        settings.ARCADIA_DO_RATE_LIMIT_PER_HOUR = per_hour
        settings.ARCADIA_DO_BUDGET_SHARE = share

    return set_limits


def test_no_permit_no_request(dosim, limits):
    limits(per_minute=2)
    gw = get_gateway()
    gw.droplets_by_tag("x")
    gw.droplets_by_tag("x")
    with pytest.raises(GatewayThrottled) as caught:
        gw.droplets_by_tag("x")
    assert 0 < caught.value.retry_after <= 61
    assert len(dosim.requests()) == 2  # the third never left
    assert budget_status()["minute"] == {"limit": 2, "used": 2, "left": 0}


def test_the_share_leaves_headroom(dosim, limits):
    limits(per_minute=10, share=0.5)
    gw = get_gateway()
    for _ in range(5):
        gw.droplets_by_tag("x")
    with pytest.raises(GatewayThrottled):
        gw.droplets_by_tag("x")


def test_other_clients_of_the_token_lower_what_is_left(dosim, limits):
    dosim.configure(rate_limit_per_hour=100)
    limits(per_hour=100)
    for i in range(30):  # the team's own tools, on the same token
        dosim.add_record(DOMAIN, f"other{i}", "192.0.2.1")
    get_gateway().droplets_by_tag("x")
    assert budget_status()["hour"] == {"limit": 100, "used": 31, "left": 69}


def test_a_429_pauses_the_token_and_steps_see_throttled(dosim, limits):
    gw = get_gateway()
    dosim.faults("droplet_list", fail_next=1, status=429, retry_after=3)
    with pytest.raises(Throttled) as caught, gateway_errors():
        gw.droplets_by_tag("x")
    assert caught.value.retry_after >= 2.9
    with pytest.raises(GatewayThrottled):
        gw.record_find(DOMAIN, "web")  # another call, refused locally
    assert len(dosim.requests()) == 1
    status = budget_status()
    assert status["answered_429"] == 1 and status["paused_until"] is not None


def test_the_dns_step_spends_one_permit_taken_for_both_its_calls(dosim, limits):
    from inventory.budget import Caller

    limits(per_minute=3)
    gw = get_gateway().for_caller(Caller(saga_id="s", step="point_deployment_dns"), calls=2)
    assert gw.record_find(DOMAIN, "web") is None
    assert budget_status()["minute"]["used"] == 2  # both taken by the first call
    gw.record_create(DOMAIN, type="A", name="web", data="192.0.2.9")
    assert budget_status()["minute"]["used"] == 2  # the second spent the credit
    assert len(dosim.requests()) == 2


def test_a_permit_taken_ahead_moves_to_when_its_call_is_answered(dosim, limits):
    # The DNS write goes out after the look-up's answer; on a loaded host
    # that can be seconds after the permit both took. Its slot must count
    # from its answer, by when the provider had counted it.
    import time

    from inventory.budget import Caller, get_budget

    limits(per_minute=10)
    gw = get_gateway().for_caller(Caller(saga_id="s", step="point_deployment_dns"), calls=2)
    gw.record_find(DOMAIN, "web")
    time.sleep(1.5)
    gw.record_create(DOMAIN, type="A", name="web", data="192.0.2.9")
    first, second = _window_times(get_budget().store)
    assert second - first >= 1.4
    assert budget_status()["minute"]["used"] == 2 and len(dosim.requests()) == 2


def test_a_slow_answer_counts_from_the_answer(dosim, limits):
    # The provider counts a request when it arrives: after a second and a
    # half of latency (a loaded host, a slow network), its permit must not
    # leave the window a minute after the grant, but a minute after that.
    from inventory.budget import get_budget

    limits(per_minute=10)
    gw = get_gateway()
    gw.record_find(DOMAIN, "web")
    dosim.faults("droplet_list", latency=1.5)
    gw.droplets_by_tag("x")
    first, second = _window_times(get_budget().store)
    assert second - first >= 1.4


def _window_times(store) -> list[float]:
    """When each permit in the minute window counts from, oldest first."""
    if hasattr(store, "client"):  # Redis
        return [at for _, at in store.client.zrange(store.keys["minute"], 0, -1, withscores=True)]
    return [at for at, _ in store.windows[0]]


def test_an_unreachable_budget_store_is_transient_and_sends_nothing(dosim, settings):
    from inventory.gateway import GatewayTransientError

    working, settings.ARCADIA_RATE_LIMIT_URL = settings.ARCADIA_RATE_LIMIT_URL, "redis://127.0.0.1:9/0"
    try:
        with pytest.raises(GatewayTransientError, match="budget is unavailable"):
            get_gateway().droplets_by_tag("x")
    finally:
        settings.ARCADIA_RATE_LIMIT_URL = working  # the fixture's teardown resets the budget there
    assert dosim.requests() == []
