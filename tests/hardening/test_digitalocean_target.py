"""A real DigitalOcean token never goes to the simulator by a default
(issue 22, item 6): only the simulator's own token takes the simulator's
address when DIGITALOCEAN_API_URL is unset or empty, as docker-compose.yml
leaves it. Each case starts Django in a fresh process, as a deployment does."""

from pathlib import Path

import pytest

from tests.hardening.test_production_settings import GOOD_KEY, manage

ROOT = Path(__file__).resolve().parents[2]
SHOW = ("shell", "-c", "from django.conf import settings; print(settings.DIGITALOCEAN_API_URL)")


def api_url(**env) -> str:
    result = manage(*SHOW, SECRET_KEY=GOOD_KEY, ARCADIA_ENV="development", **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("unset", ["", None], ids=["empty", "absent"])
def test_a_real_token_goes_to_digitalocean_however_the_simulator_is_named(unset):
    env = {"DIGITALOCEAN_TOKEN": "dop_v1_" + "a" * 64, "DOSIM_URL": "http://dosim:8089/v2/"}
    if unset is not None:
        env["DIGITALOCEAN_API_URL"] = unset
    assert api_url(**env) == "https://api.digitalocean.com/v2/"


def test_the_simulator_token_goes_to_the_simulator():
    assert api_url(
        DIGITALOCEAN_TOKEN="dosim-token", DIGITALOCEAN_API_URL="", DOSIM_URL="http://dosim:8089/v2/"
    ) == ("http://dosim:8089/v2/")


def test_an_address_set_explicitly_is_used():
    explicit = "http://127.0.0.1:9/v2/"
    assert api_url(DIGITALOCEAN_TOKEN="dop_v1_" + "b" * 64, DIGITALOCEAN_API_URL=explicit) == explicit


def test_compose_names_the_simulator_only_as_dosim_url():
    compose = (ROOT / "docker-compose.yml").read_text()
    assert "DIGITALOCEAN_API_URL: ${DIGITALOCEAN_API_URL:-}\n" in compose
    assert "DIGITALOCEAN_API_URL: ${DIGITALOCEAN_API_URL:-http" not in compose
