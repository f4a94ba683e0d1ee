"""The control side: state, reset, config, faults, exchanges, the CLI."""

import subprocess
import sys

import pytest
import requests

from dosim import faults as F
from dosim.client import DosimClientError
from dosim.faults import FaultError, parse_cli
from tests.support.dosim import spawn_dosim

BODY = {"name": "web", "region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64"}


def api(sim, method, path, **kwargs):
    headers = {"Authorization": f"Bearer {sim.token}"}
    return requests.request(method, sim.api_url + path, headers=headers, timeout=5, **kwargs)


def test_state_shows_droplets_records_and_the_request_log(dosim):
    api(dosim, "POST", "droplets", json=BODY)
    dosim.add_record("arcadia.test", "web", "192.0.2.1", ttl=600)
    state = dosim.state()
    assert [d["name"] for d in state["droplets"]] == ["web"]
    assert dosim.a_record("web")["data"] == "192.0.2.1"
    assert [(r["method"], r["operation"], r["status"]) for r in state["requests"]] == [
        ("POST", "droplet_create", 202),
        ("POST", "record_create", 201),
    ]
    assert state["counts"] == {"droplet_create": 1, "record_create": 1}
    assert "token" not in state["config"]


def test_reset_forgets_everything(dosim):
    api(dosim, "POST", "droplets", json=BODY)
    dosim.faults(F.DROPLET_GET, fail_next=3)
    dosim.reset()
    state = dosim.state()
    assert (state["droplets"], state["requests"], state["faults"]) == ([], [], {})
    assert {r["type"] for r in state["records"]} == {"NS", "SOA"}


def test_faults_merge_clear_and_refuse_nonsense(dosim):
    dosim.faults(F.DROPLET_GET, fail_next=2)
    assert dosim.faults(F.DROPLET_GET, status=503)[F.DROPLET_GET] == {"fail_next": 2, "status": 503}
    both = dosim.faults(droplet_list={"latency": 0.01}, record_list={"failure_rate": 0.5})
    assert set(both) == {F.DROPLET_GET, F.DROPLET_LIST, F.RECORD_LIST}
    dosim.clear_faults(F.DROPLET_GET)
    assert F.DROPLET_GET not in dosim.faults()
    dosim.fault_all(failure_rate=0.1)
    assert set(dosim.faults()) == set(F.OPERATIONS)
    dosim.clear_faults()
    assert dosim.faults() == {}
    with pytest.raises(DosimClientError, match="unknown operation"):
        dosim.faults("droplet_explode", fail_next=1)
    with pytest.raises(DosimClientError, match="unknown fault parameter"):
        dosim.faults(F.DROPLET_GET, explode=1)
    with pytest.raises(DosimClientError):
        dosim.configure(boot_delay="soon")


def test_injected_failures_are_logged_and_the_work_not_done(dosim):
    dosim.faults(F.DROPLET_CREATE, fail_next=1, status=503)
    assert api(dosim, "POST", "droplets", json=BODY).status_code == 503
    assert dosim.droplets() == []
    assert dosim.requests()[-1]["fault"] == "injected"


def test_lost_response_does_the_work(dosim):
    dosim.faults(F.DROPLET_CREATE, lost_response=1, status=500)
    assert api(dosim, "POST", "droplets", json=BODY).status_code == 500
    assert len(dosim.droplets()) == 1
    assert dosim.requests()[-1]["fault"] == "lost_response:error"


def test_capture_keeps_whole_exchanges(dosim):
    dosim.configure(capture=True)
    api(dosim, "POST", "droplets", json=BODY)
    [exchange] = dosim.exchanges()
    assert exchange["body"] == BODY and exchange["response"]["droplet"]["name"] == "web"
    assert exchange["status"] == 202 and "ratelimit-limit" in exchange["headers"]


def test_cli_fault_syntax():
    assert parse_cli("droplet_create:fail_next=2,status=503") == (
        "droplet_create",
        {"fail_next": 2, "status": 503},
    )
    assert parse_cli("droplet_create:stuck_new") == ("droplet_create", {"stuck_new": True})
    with pytest.raises(FaultError):
        parse_cli("nope:fail_next=1")


@pytest.mark.integration
def test_cli_refuses_a_bad_fault():
    run = subprocess.run(
        [sys.executable, "-m", "dosim", "--port", "0", "--fault", "droplet_get:explode=1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2 and "explode" in run.stderr


@pytest.mark.integration
def test_python_m_dosim_serves(dosim_process):
    """The standalone process, with the faults flag parsed the same way."""
    dosim_process.faults(F.DROPLET_GET, fail_next=1, status=502)
    assert api(dosim_process, "GET", "droplets/1").status_code == 502
    assert api(dosim_process, "GET", "droplets/1").status_code == 404
    assert dosim_process.state()["config"]["domains"] == ["arcadia.test"]


@pytest.mark.integration
def test_command_line_flags_configure_the_process():
    flags = ["--boot-delay", "0", "--rate-limit-per-minute", "50", "--domain", "example.org", "--seed", "3"]
    flags += ["--fault", "droplet_get:fail_next=1,status=502", "--fault", "droplet_create:stuck_new"]
    with spawn_dosim(*flags, token="cli-token") as sim:
        config = sim.state()["config"]
        assert (config["boot_delay"], config["rate_limit_per_minute"], config["seed"]) == (0.0, 50, 3)
        assert {r["domain"] for r in sim.records()} == {"example.org"}
        assert api(sim, "GET", "droplets/1").status_code == 502
        created = api(sim, "POST", "droplets", json=BODY).json()["droplet"]
        assert api(sim, "GET", f"droplets/{created['id']}").json()["droplet"]["status"] == "new"
        assert api(sim, "GET", "droplets").headers["ratelimit-limit"] == "50"
