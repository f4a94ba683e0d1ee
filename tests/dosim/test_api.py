"""The simulator's API over real HTTP, as any client sees it."""

import requests

from dosim.client import droplet_ipv4

BODY = {"name": "web", "region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64", "tags": ["a"]}


def call(sim, method, path, *, token=None, **kwargs):
    headers = {"Authorization": f"Bearer {token or sim.token}"}
    return requests.request(method, sim.base_url + path, headers=headers, timeout=5, **kwargs)


def test_bearer_token_required(dosim):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": dosim.token}):
        answer = requests.get(dosim.api_url + "droplets", headers=headers, timeout=5)
        assert answer.status_code == 401
        assert answer.json() == {"id": "unauthorized", "message": "Unable to authenticate you."}


def test_ratelimit_headers_on_every_answer(dosim):
    for path in ("/v2/droplets", "/v2/droplets/1"):
        answer = call(dosim, "GET", path)
        assert {"ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"} <= set(
            map(str.lower, answer.headers)
        )
    assert int(answer.headers["ratelimit-remaining"]) == int(answer.headers["ratelimit-limit"]) - 2


def test_budget_exceeded_answers_429_with_retry_after(dosim):
    dosim.configure(rate_limit_per_minute=2)
    assert [call(dosim, "GET", "/v2/droplets").status_code for _ in range(3)] == [200, 200, 429]
    answer = call(dosim, "GET", "/v2/droplets")
    assert answer.json()["id"] == "too_many_requests"
    assert 1 <= int(answer.headers["retry-after"]) <= 60
    assert answer.headers["ratelimit-remaining"] == "0"


def test_create_is_202_new_with_action_link_then_active_with_public_ipv4(dosim):
    dosim.configure(boot_delay=0)
    created = call(dosim, "POST", "/v2/droplets", json=BODY)
    assert created.status_code == 202
    droplet, [link] = created.json()["droplet"], created.json()["links"]["actions"]
    assert (droplet["status"], droplet_ipv4(droplet)) == ("new", None)
    assert link["rel"] == "create"
    got = call(dosim, "GET", f"/v2/droplets/{droplet['id']}/").json()["droplet"]
    assert got["status"] == "active" and droplet_ipv4(got)
    action = call(dosim, "GET", f"/v2/actions/{link['id']}").json()["action"]
    assert (action["status"], action["resource_id"]) == ("completed", droplet["id"])
    same = call(dosim, "GET", f"/v2/droplets/{droplet['id']}/actions/{link['id']}").json()["action"]
    assert same["id"] == link["id"]
    assert call(dosim, "GET", f"/v2/droplets/{droplet['id']}/actions/1").status_code == 404


def test_action_in_progress_while_new(dosim):
    dosim.configure(boot_delay=60)
    link = call(dosim, "POST", "/v2/droplets", json=BODY).json()["links"]["actions"][0]
    action = call(dosim, "GET", f"/v2/actions/{link['id']}").json()["action"]
    assert (action["status"], action["completed_at"]) == ("in-progress", None)


def test_create_validates_its_body(dosim):
    answer = call(dosim, "POST", "/v2/droplets", json={"name": "x"})
    assert answer.status_code == 422 and answer.json()["id"] == "unprocessable_entity"
    assert call(dosim, "POST", "/v2/droplets", data=b"{nope").status_code == 400
    assert call(dosim, "POST", "/v2/droplets", json={**BODY, "region": "mars1"}).status_code == 422


def test_list_filters_by_tag_and_paginates_with_self_pointing_links(dosim):
    for tag in ("a", "a", "a", "b"):
        call(dosim, "POST", "/v2/droplets", json={**BODY, "tags": [tag]})
    first = call(dosim, "GET", "/v2/droplets", params={"tag_name": "a", "per_page": 2}).json()
    assert first["meta"]["total"] == 3 and len(first["droplets"]) == 2
    next_url = first["links"]["pages"]["next"]
    assert next_url.startswith(dosim.base_url + "/v2/droplets?") and "tag_name=a" in next_url
    second = requests.get(next_url, headers={"Authorization": f"Bearer {dosim.token}"}, timeout=5).json()
    assert len(second["droplets"]) == 1 and "next" not in second["links"]["pages"]
    assert second["links"]["pages"]["prev"].startswith(dosim.base_url)
    everything = call(dosim, "GET", "/v2/droplets/").json()
    assert everything["meta"]["total"] == 4 and everything["links"] == {"pages": {}}


def test_delete_is_204_then_404_and_accepts_an_empty_json_body(dosim):
    droplet = call(dosim, "POST", "/v2/droplets", json=BODY).json()["droplet"]
    first = call(dosim, "DELETE", f"/v2/droplets/{droplet['id']}", data=b"{}")
    assert (first.status_code, first.content) == (204, b"")
    again = call(dosim, "DELETE", f"/v2/droplets/{droplet['id']}/", data=b"{}")
    assert again.status_code == 404 and again.json()["id"] == "not_found"
    assert call(dosim, "GET", f"/v2/droplets/{droplet['id']}").status_code == 404


def test_zone_is_seeded_and_records_round_trip(dosim):
    zone = "/v2/domains/arcadia.test/records"
    seeded = call(dosim, "GET", zone).json()
    assert {r["type"] for r in seeded["domain_records"]} == {"NS", "SOA"}
    created = call(dosim, "POST", zone, json={"type": "A", "name": "web", "data": "192.0.2.1", "ttl": 300})
    assert created.status_code == 201
    rid = created.json()["domain_record"]["id"]
    found = call(dosim, "GET", zone + "/", params={"type": "A", "name": "web.arcadia.test"}).json()
    assert [r["id"] for r in found["domain_records"]] == [rid]
    assert call(dosim, "GET", zone, params={"name": "web"}).json()["domain_records"] == []  # FQDN only
    put = call(dosim, "PUT", f"{zone}/{rid}", json={"type": "A", "data": "192.0.2.2"}).json()["domain_record"]
    assert (put["data"], put["ttl"]) == ("192.0.2.2", 300)
    patched = call(dosim, "PATCH", f"{zone}/{rid}", json={"ttl": 60}).json()["domain_record"]
    assert (patched["data"], patched["ttl"]) == ("192.0.2.2", 60)
    assert call(dosim, "GET", f"{zone}/{rid}").json()["domain_record"]["ttl"] == 60
    assert call(dosim, "DELETE", f"{zone}/{rid}", data=b"{}").status_code == 204
    assert call(dosim, "DELETE", f"{zone}/{rid}").status_code == 404
    assert call(dosim, "GET", "/v2/domains/other.test/records").status_code == 404


def test_configured_zones(dosim):
    dosim.reset(domains=["example.org", "arcadia.test"])
    assert {r["domain"] for r in dosim.records()} == {"example.org", "arcadia.test"}


def test_unknown_paths_and_methods(dosim):
    assert call(dosim, "GET", "/v2/volumes").status_code == 404
    assert call(dosim, "PUT", "/v2/droplets").status_code == 405
