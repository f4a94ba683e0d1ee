"""No request leaves for another host; the token shows nowhere.

The decoy is a second HTTP server that DIGITALOCEAN_END_POINT (what objects
python-digitalocean builds itself would use) points at; the tests first show
the decoy does catch such a request, so its silence afterwards means something.
"""

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import digitalocean
import pytest

from dosim import faults as F
from inventory.gateway import DigitalOceanGateway, GatewayError, get_gateway
from tests.gateway.helpers import DOMAIN, SPEC

SECRET = "dop_v1_s3cr3t-token-for-the-leak-test"


class _Decoy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _any(self):
        self.server.hits.append(f"{self.command} {self.path}")
        body = b'{"id": "decoy", "message": "wrong host"}'
        self.send_response(418)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

    def log_message(self, *args):
        pass


@pytest.fixture
def decoy(monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Decoy)
    server.hits = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/v2/"
    monkeypatch.setenv("DIGITALOCEAN_END_POINT", url)
    yield server
    server.shutdown()
    server.server_close()


def exercise(gw):
    droplet = gw.droplet_create(**SPEC, tags=["iso"])
    gw.droplet_get(droplet.id)
    gw.droplets_by_tag("iso")
    record = gw.record_create(DOMAIN, type="A", name="iso", data="192.0.2.7")
    gw.record_find(DOMAIN, "iso")
    gw.record_update(DOMAIN, record.id, data="192.0.2.8", ttl=600)
    gw.record_delete(DOMAIN, record.id)
    gw.record_delete(DOMAIN, record.id)
    gw.droplet_destroy(droplet.id)
    gw.droplet_destroy(droplet.id)


def test_the_decoy_catches_what_the_library_builds_itself(dosim, decoy):
    """The trap is real: a droplet a Manager listed talks to the env's host."""
    manager = digitalocean.Manager(token=dosim.token, end_point=dosim.api_url)
    get_gateway().droplet_create(**SPEC, tags=["iso"])
    [listed] = manager.get_all_droplets(tag_name="iso")
    with pytest.raises(digitalocean.DataReadError):
        listed.load()
    assert decoy.hits and decoy.hits[0].startswith("GET /v2/droplets/")


def test_every_operation_goes_to_the_configured_host_only(dosim, decoy):
    exercise(get_gateway())
    assert decoy.hits == []
    assert len(dosim.requests()) == 10


def test_a_pagination_link_to_another_host_is_not_followed(dosim, decoy):
    gw = get_gateway()
    for _ in range(3):
        gw.droplet_create(**SPEC, tags=["paged"])
    dosim.configure(max_per_page=1, links_base=f"http://127.0.0.1:{decoy.server_address[1]}")
    with pytest.raises(GatewayError):
        gw.droplets_by_tag("paged")
    assert decoy.hits == []


def test_the_token_is_in_no_message_repr_or_log(dosim, settings, caplog):
    dosim.configure(token=SECRET)
    settings.DIGITALOCEAN_TOKEN = SECRET
    caplog.set_level(logging.DEBUG)
    gw = get_gateway()
    exercise(gw)
    errors = []
    # The server echoing the token back in a message must not leak it either.
    for status in (404, 422, 429, 500):
        dosim.faults(F.DROPLET_GET, fail_next=1, status=status, message=f"bad {SECRET}")
        with pytest.raises(GatewayError) as caught:
            gw.droplet_get(1)
        errors.append(caught.value)
    wrong = DigitalOceanGateway(api_url=dosim.api_url, token=SECRET + "x", timeout=2)
    with pytest.raises(GatewayError) as caught:
        wrong.droplet_get(1)
    errors.append(caught.value)
    texts = [str(e) for e in errors] + [repr(e) for e in errors] + [repr(gw), str(gw), repr(wrong)]
    assert all(SECRET not in text for text in texts), texts
    assert caplog.records and SECRET not in caplog.text
