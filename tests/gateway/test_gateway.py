"""The gateway against the simulator over real HTTP: each operation."""

import pytest

from inventory.gateway import DigitalOceanGateway, DnsRecord, Droplet, get_gateway
from tests.gateway.helpers import DOMAIN, SPEC, wait_active


def test_get_gateway_follows_settings_and_is_cached(dosim, settings):
    gw = get_gateway()
    assert gw.api_url == dosim.api_url
    assert get_gateway() is gw
    settings.DIGITALOCEAN_API_URL = dosim.base_url  # no /v2/: completed
    assert get_gateway().api_url == dosim.api_url


def test_create_answers_new_without_public_address_in_one_request(dosim):
    droplet = get_gateway().droplet_create(
        **SPEC, tags=["arcadia", "arcadia-saga-1"], user_data="#!/bin/sh\n"
    )
    assert isinstance(droplet, Droplet)
    assert (droplet.status, droplet.ipv4) == ("new", None)
    assert (droplet.name, droplet.region, droplet.size, droplet.image) == (
        "web",
        "nyc3",
        "s-1vcpu-1gb",
        "ubuntu-24-04-x64",
    )
    assert droplet.tags == ("arcadia", "arcadia-saga-1")
    assert [r["operation"] for r in dosim.requests()] == ["droplet_create"]


def test_every_call_of_a_thread_posts_included_reuses_one_connection(dosim):
    # The library sends POST through requests.post: a new connection (a TLS
    # handshake at DigitalOcean) per droplet or record created.
    gw = get_gateway()
    droplet = wait_active(gw, gw.droplet_create(**SPEC, tags=["t"]).id)
    gw.record_create(DOMAIN, type="A", name="web", data=droplet.ipv4)
    gw.droplet_create(**SPEC, tags=["t"])
    sent = dosim.requests()
    assert [r["method"] for r in sent].count("POST") == 3
    assert len({r["connection"] for r in sent}) == 1


def test_get_goes_active_with_public_ipv4(dosim):
    gw = get_gateway()
    created = gw.droplet_create(**SPEC, tags=["t"])
    active = wait_active(gw, created.id)
    assert active.ipv4 and active.ipv4 == dosim.droplets()[0]["networks"]["v4"][1]["ip_address"]


def test_droplets_by_tag_follows_pagination(dosim):
    dosim.configure(default_per_page=2, max_per_page=2)  # forces 3 pages
    gw = get_gateway()
    ids = {gw.droplet_create(**SPEC, tags=["many"]).id for _ in range(5)}
    gw.droplet_create(**SPEC, tags=["other"])
    found = gw.droplets_by_tag("many")
    assert {d.id for d in found} == ids
    assert len(dosim.requests("droplet_list")) == 3
    assert gw.droplets_by_tag("none") == []


def test_destroy_then_404_counts_as_done(dosim):
    gw = get_gateway()
    droplet = gw.droplet_create(**SPEC, tags=["t"])
    gw.droplet_destroy(droplet.id)
    gw.droplet_destroy(droplet.id)
    assert dosim.droplets() == []
    assert [r["status"] for r in dosim.requests("droplet_delete")] == [204, 404]


def test_record_lifecycle_with_relative_names(dosim):
    gw = get_gateway()
    assert gw.record_find(DOMAIN, "web-acme") is None
    created = gw.record_create(DOMAIN, type="A", name="web-acme", data="192.0.2.10")
    assert created == DnsRecord(id=created.id, type="A", name="web-acme", data="192.0.2.10", ttl=300)
    assert gw.record_find(DOMAIN, "web-acme") == created
    updated = gw.record_update(DOMAIN, created.id, data="192.0.2.11", ttl=600)
    assert (updated.data, updated.ttl) == ("192.0.2.11", 600)
    assert gw.record_update(DOMAIN, created.id, data="192.0.2.12").ttl == 600  # TTL kept
    gw.record_delete(DOMAIN, created.id)
    gw.record_delete(DOMAIN, created.id)  # 404: already done
    assert gw.record_find(DOMAIN, "web-acme") is None
    assert dosim.a_record("web-acme") is None


def test_record_find_is_one_filtered_request(dosim):
    gw = get_gateway()
    gw.record_create(DOMAIN, type="A", name="web", data="192.0.2.1")
    gw.record_create(DOMAIN, type="TXT", name="web", data="hello")
    gw.record_create(DOMAIN, type="A", name="web2", data="192.0.2.2")
    before = len(dosim.requests())
    found = gw.record_find(DOMAIN, "web", type="A")
    assert (found.name, found.type, found.data) == ("web", "A", "192.0.2.1")
    [request] = dosim.requests()[before:]
    assert request["query"]["name"] == f"web.{DOMAIN}" and request["query"]["type"] == "A"


def test_apex_record_is_found_by_at(dosim):
    gw = get_gateway()
    gw.record_create(DOMAIN, type="A", name="@", data="192.0.2.9")
    assert gw.record_find(DOMAIN, "@").data == "192.0.2.9"


@pytest.mark.parametrize("url", ["{base}", "{base}/", "{base}/v2", "{base}/v2/"])
def test_any_spelling_of_the_base_url_works(dosim, url):
    gw = DigitalOceanGateway(api_url=url.format(base=dosim.base_url), token=dosim.token, timeout=5)
    assert gw.droplets_by_tag("x") == []
