"""Changes behind the client's back: visible through the API, absent from
the request log."""

import pytest
import requests

from dosim.client import DosimClientError, droplet_ipv4

DOMAIN = "arcadia.test"


def api_get(sim, path):
    response = requests.get(sim.api_url + path, headers={"Authorization": f"Bearer {sim.token}"}, timeout=5)
    response.raise_for_status()
    return response.json()


def test_a_droplet_made_behind_the_back_is_listed_by_its_tag_and_not_logged(dosim):
    made = dosim.droplet_create_behind("by-hand", tags=["arcadia"], age=60)

    listed = api_get(dosim, "droplets?tag_name=arcadia")["droplets"]

    assert [d["id"] for d in listed] == [made["id"]]
    assert listed[0]["status"] == "active"  # aged past the boot delay
    assert [r["operation"] for r in dosim.requests()] == ["droplet_list"]


def test_count_makes_many_droplets(dosim):
    dosim.droplet_create_behind("fleet", tags=["arcadia"], count=5)
    assert sorted(d["name"] for d in dosim.droplets()) == [f"fleet-{i}" for i in range(5)]


def test_change_and_destroy_a_droplet_behind_the_back(dosim):
    made = dosim.droplet_create_behind(age=60)

    dosim.droplet_change_behind(made["id"], size="s-2vcpu-4gb", region="fra1", ipv4="203.0.113.9")
    seen = api_get(dosim, f"droplets/{made['id']}")["droplet"]
    assert (seen["size_slug"], seen["region"]["slug"], droplet_ipv4(seen)) == (
        "s-2vcpu-4gb",
        "fra1",
        "203.0.113.9",
    )

    dosim.droplet_destroy_behind(made["id"])
    assert dosim.droplets() == []
    with pytest.raises(DosimClientError, match="404"):
        dosim.droplet_destroy_behind(made["id"])


def test_bad_changes_are_refused(dosim):
    made = dosim.droplet_create_behind()
    with pytest.raises(DosimClientError, match="400"):
        dosim.droplet_change_behind(made["id"], size="huge")
    with pytest.raises(DosimClientError, match="400"):
        dosim.droplet_change_behind(made["id"], ipv4="not-an-address")


def test_add_change_and_delete_a_record_behind_the_back(dosim):
    record = dosim.record_add_behind(DOMAIN, "web-acme", "192.0.2.1", ttl=600)
    assert dosim.a_record("web-acme")["data"] == "192.0.2.1"

    dosim.record_change_behind(DOMAIN, record["id"], data="192.0.2.99")
    assert dosim.a_record("web-acme")["data"] == "192.0.2.99"

    dosim.record_delete_behind(DOMAIN, record["id"])
    assert dosim.a_record("web-acme") is None
    assert dosim.requests() == []
