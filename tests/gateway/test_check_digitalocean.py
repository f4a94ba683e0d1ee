"""``manage.py check_digitalocean`` against the simulator over real HTTP: a
good token passes every check, a bad token and a missing zone fail with a
fix, nothing is created, and the token is never printed."""

import re
import socket
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def run() -> tuple[str, str | None]:
    out = StringIO()
    try:
        call_command("check_digitalocean", stdout=out, no_color=True)
    except CommandError as exc:
        return out.getvalue(), str(exc)
    return out.getvalue(), None


def lines(output: str) -> dict[str, str]:
    """check name -> its line (and its fix line, if any)."""
    found, last = {}, None
    for line in output.splitlines():
        if line[:4].strip() in ("ok", "warn", "FAIL"):
            last = line[6:18].strip()
            found[last] = line
        elif last and "fix:" in line:
            found[last] += "\n" + line
    return found


def test_good_token_passes_every_check(sim, settings):
    settings.DOSIM_TOKEN = "not-the-simulators"  # as with a real account's token
    output, error = run()
    assert error is None, output
    checks = lines(output)
    assert list(checks) == ["api", "token", "rate limit", "zone", "tag listing"]
    assert all(line.startswith("ok") for line in checks.values()), output
    assert "account dosim@example.test, status active" in checks["token"]
    assert re.search(r"ok +rate limit +\d+ of \d+ requests left", checks["rate limit"]), checks["rate limit"]
    assert f"{settings.ARCADIA_DNS_DOMAIN} exists" in checks["zone"]
    assert "tagged 'arcadia' works: 0 carry it" in checks["tag listing"]
    assert "DigitalOcean is ready" in output
    assert settings.DIGITALOCEAN_TOKEN not in output
    assert sim.droplets() == []  # nothing created


def test_the_simulators_own_token_is_a_warning(sim):
    output, error = run()
    assert error is None
    assert lines(output)["api"].startswith("warn")
    assert "checks the bundled simulator, not DigitalOcean" in output


def test_bad_token_fails_with_where_to_get_one(sim, settings):
    settings.DIGITALOCEAN_TOKEN = "dop_v1_wrong-token-0123456789"
    output, error = run()
    assert error == "1 check(s) failed: token"
    token = lines(output)["token"]
    assert token.startswith("FAIL") and "answered 401" in token
    assert "fix: create a token at https://cloud.digitalocean.com/account/api/tokens" in token
    assert "zone" not in lines(output)  # skipped: it would only fail the same way
    assert "wrong-token" not in output


def test_missing_zone_fails_with_how_to_add_it(sim, settings):
    settings.ARCADIA_DNS_DOMAIN = "missing.example"
    output, error = run()
    assert error == "1 check(s) failed: zone"
    zone = lines(output)["zone"]
    assert zone.startswith("FAIL") and "missing.example is not a domain of this account" in zone
    assert "fix: add missing.example under Networking → Domains" in zone


def test_an_api_that_does_not_answer_fails_the_token_check(settings):
    with socket.socket() as probe:  # a port nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.DIGITALOCEAN_API_URL = f"http://127.0.0.1:{port}/v2/"
    settings.DIGITALOCEAN_REQUEST_TIMEOUT = 2
    output, error = run()
    assert error == "1 check(s) failed: token"
    assert "no usable answer" in lines(output)["token"]
