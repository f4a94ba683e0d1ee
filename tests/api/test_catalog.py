"""region, size and image checked against DigitalOcean's catalog (the
simulator's ``/v2/regions``, ``/v2/sizes``, ``/v2/images``), read through
the gateway, cached, refreshed, and kept through an outage."""

import pytest

from deployments.models import Deployment
from inventory.catalog import catalog_cached
from inventory.tasks import refresh_catalog
from tests.support.bodies import PENDING

pytestmark = [pytest.mark.django_db, pytest.mark.catalog_check]

CATALOG = "catalog_list"


def _post(client, **changes):
    return client.post("/api/deployments/", {**PENDING, **changes}, format="json")


def test_a_slug_digitalocean_does_not_sell_is_400_naming_what_it_sells(client_for, alice, sim):
    client = client_for(alice)

    region = _post(client, region="zzz9")
    size = _post(client, size="gpu-h100x8-640gb")
    image = _post(client, image="windows-2022")

    assert region.status_code == size.status_code == image.status_code == 400
    assert "no region 'zzz9'" in region.json()["region"][0] and "nyc3" in region.json()["region"][0]
    assert "no size 'gpu-h100x8-640gb'" in size.json()["size"][0] and "s-1vcpu-1gb" in size.json()["size"][0]
    assert "ubuntu-24-04-x64" in image.json()["image"][0]
    assert not Deployment.objects.exists()


def test_a_size_not_sold_in_the_region_is_400(client_for, alice, sim):
    # The simulator's catalog: blr1 does not sell s-4vcpu-8gb (CATALOG_UNSOLD).
    response = _post(client_for(alice), region="blr1", size="s-4vcpu-8gb", provision=True)

    assert response.status_code == 400
    message = response.json()["size"][0]
    assert message.startswith("'s-4vcpu-8gb' is not available in blr1; blr1 sells ")
    assert "s-1vcpu-1gb" in message
    assert not Deployment.objects.exists() and sim.requests("droplet_create") == []
    assert _post(client_for(alice), region="nyc3", size="s-4vcpu-8gb").status_code == 201


def test_the_catalog_is_read_once_for_many_posts(client_for, alice, sim):
    client = client_for(alice)
    for i in range(5):
        assert _post(client, name=f"web{i}").status_code == 201
    # One request per list (each under a page), then the cache answers.
    assert [r["path"] for r in sim.requests(CATALOG)] == ["/v2/regions", "/v2/sizes", "/v2/images"]


def test_the_periodic_refresh_reads_what_digitalocean_sells_now(client_for, alice, sim):
    client = client_for(alice)
    assert _post(client, size="s-8vcpu-16gb").status_code == 400
    sim.configure(sizes="s-1vcpu-1gb,s-8vcpu-16gb")

    assert refresh_catalog()["refreshed"] is True

    assert _post(client, size="s-8vcpu-16gb").status_code == 201
    assert _post(client, name="api", size="s-2vcpu-2gb").status_code == 400  # no longer sold


def test_a_catalog_older_than_its_ttl_is_read_again_by_the_next_post(client_for, alice, sim, settings):
    client = client_for(alice)
    assert _post(client).status_code == 201
    settings.ARCADIA_CATALOG_TTL = 0
    sim.configure(regions="nyc3,xyz1")

    assert _post(client, name="red", region="xyz1").status_code == 201
    assert len(sim.requests(CATALOG)) == 6


def test_during_an_outage_slugs_seen_before_keep_working(client_for, alice, sim, settings):
    client = client_for(alice)
    assert _post(client).status_code == 201
    settings.ARCADIA_CATALOG_TTL = 0  # stale: every POST tries to read it again
    sim.faults(CATALOG, failure_rate=1.0, status=503)

    assert _post(client, name="api").status_code == 201
    assert _post(client, name="db", region="zzz9").status_code == 400  # the old catalog still says no
    assert refresh_catalog()["refreshed"] is False
    assert catalog_cached() is not None


def test_no_catalog_ever_read_and_digitalocean_down_is_503_with_retry_after(client_for, alice, sim):
    sim.faults(CATALOG, failure_rate=1.0, status=503)

    response = _post(client_for(alice))

    assert response.status_code == 503
    assert response.json()["unavailable"] == "digitalocean"
    assert int(response["Retry-After"]) >= 1
    assert not Deployment.objects.exists()


def test_the_browsable_form_offers_what_digitalocean_sells(client_for, alice, sim):
    client = client_for(alice)
    assert _post(client).status_code == 201  # the catalog is read

    page = client.get("/api/deployments/", HTTP_ACCEPT="text/html").content.decode()

    assert '<select class="form-control" name="size"' in page
    assert '<option value="s-4vcpu-8gb"' in page and '<option value="blr1"' in page
