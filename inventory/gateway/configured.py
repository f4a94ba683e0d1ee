"""The process's gateway, configured from settings and reused while they stay the same."""

from __future__ import annotations

import os

from inventory.gateway.gateway import DigitalOceanGateway

_cached: tuple[tuple, DigitalOceanGateway] | None = None


def get_gateway() -> DigitalOceanGateway:
    """The gateway configured from settings, reused while the settings stay the same.

    Also exports ``DIGITALOCEAN_END_POINT`` (unless already set) so that any
    object python-digitalocean builds by itself defaults to the same API.
    """
    global _cached
    from django.conf import settings

    key = (settings.DIGITALOCEAN_TOKEN, settings.DIGITALOCEAN_API_URL, settings.DIGITALOCEAN_REQUEST_TIMEOUT)
    if _cached is None or _cached[0] != key:
        _cached = (key, DigitalOceanGateway())
    os.environ.setdefault("DIGITALOCEAN_END_POINT", _cached[1].api_url)
    return _cached[1]
