"""Lost answers and droplet lifecycle faults, as the sagas meet them."""

import pytest

from dosim import faults as F
from inventory.gateway import (
    DigitalOceanGateway,
    GatewayError,
    GatewayNotFound,
    GatewayTransientError,
    get_gateway,
)
from tests.gateway.helpers import DOMAIN, SPEC


@pytest.mark.parametrize("status", [500, 503, 504])
def test_lost_create_answer_then_lookup_by_tag_finds_the_droplet(dosim, status):
    gw = get_gateway()
    dosim.faults(F.DROPLET_CREATE, lost_response=1, lost_mode="error", status=status)
    with pytest.raises(GatewayTransientError):
        gw.droplet_create(**SPEC, tags=["arcadia", "arcadia-saga-7"])
    [found] = gw.droplets_by_tag("arcadia-saga-7")
    assert [d["id"] for d in dosim.droplets()] == [found.id]


def test_create_hanging_past_the_timeout_is_transient_and_the_droplet_exists(dosim):
    gw = DigitalOceanGateway(api_url=dosim.api_url, token=dosim.token, timeout=0.3)
    dosim.faults(F.DROPLET_CREATE, lost_response=1, lost_mode="hang", hang=30)
    with pytest.raises(GatewayTransientError):
        gw.droplet_create(**SPEC, tags=["arcadia-saga-8"])
    assert [d.name for d in gw.droplets_by_tag("arcadia-saga-8")] == ["web"]


def test_lost_record_create_answer_then_find_sees_the_record(dosim):
    gw = get_gateway()
    dosim.faults(F.RECORD_CREATE, lost_response=1, status=502)
    with pytest.raises(GatewayTransientError):
        gw.record_create(DOMAIN, type="A", name="web-acme", data="192.0.2.5")
    assert gw.record_find(DOMAIN, "web-acme").data == "192.0.2.5"


def test_lost_delete_answer_then_delete_again_is_done(dosim):
    gw = get_gateway()
    droplet = gw.droplet_create(**SPEC, tags=["t"])
    dosim.faults(F.DROPLET_DELETE, lost_response=1, status=500)
    with pytest.raises(GatewayTransientError):
        gw.droplet_destroy(droplet.id)
    gw.droplet_destroy(droplet.id)  # 404 now: done
    assert dosim.droplets() == []


def test_droplet_stuck_in_new(dosim):
    dosim.configure(boot_delay=0)
    dosim.faults(F.DROPLET_CREATE, stuck_new=True)
    gw = get_gateway()
    droplet = gw.droplet_create(**SPEC, tags=["t"])
    polled = gw.droplet_get(droplet.id)
    assert (polled.status, polled.ipv4) == ("new", None)


def test_droplet_goes_errored(dosim):
    dosim.configure(boot_delay=0)
    dosim.faults(F.DROPLET_CREATE, errored=True)
    gw = get_gateway()
    droplet = gw.droplet_create(**SPEC, tags=["t"])
    polled = gw.droplet_get(droplet.id)
    assert (polled.status, polled.ipv4) == ("errored", None)


def test_droplet_404_for_a_while_after_create(dosim):
    dosim.faults(F.DROPLET_GET, not_found_for=60)
    gw = get_gateway()
    droplet = gw.droplet_create(**SPEC, tags=["t"])
    with pytest.raises(GatewayNotFound):
        gw.droplet_get(droplet.id)
    dosim.faults(F.DROPLET_GET, not_found_for=0)
    assert gw.droplet_get(droplet.id).id == droplet.id


def test_destroy_while_new_answers_422_pending_event(dosim):
    dosim.configure(boot_delay=60)
    dosim.faults(F.DROPLET_DELETE, pending_event_while_new=True)
    gw = get_gateway()
    droplet = gw.droplet_create(**SPEC, tags=["t"])
    with pytest.raises(GatewayError) as caught:
        gw.droplet_destroy(droplet.id)
    assert caught.value.status == 422 and "pending event" in str(caught.value)
    assert len(dosim.droplets()) == 1
    dosim.faults(F.DROPLET_DELETE, pending_event_while_new=False)
    gw.droplet_destroy(droplet.id)
    assert dosim.droplets() == []


def test_list_by_tag_lags_behind_create(dosim):
    dosim.faults(F.DROPLET_LIST, tag_lag=60)
    gw = get_gateway()
    droplet = gw.droplet_create(**SPEC, tags=["lagging"])
    assert gw.droplets_by_tag("lagging") == []
    assert gw.droplet_get(droplet.id).id == droplet.id
    dosim.faults(F.DROPLET_LIST, tag_lag=0)
    assert [d.id for d in gw.droplets_by_tag("lagging")] == [droplet.id]
