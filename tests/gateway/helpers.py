"""Shared values and bounded waits for the gateway tests."""

import time

DOMAIN = "arcadia.test"
SPEC = {"name": "web", "region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64"}


def wait_active(gw, droplet_id, *, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        droplet = gw.droplet_get(droplet_id)
        if droplet.status == "active":
            return droplet
        time.sleep(0.05)
    raise AssertionError(f"droplet {droplet_id} not active after {timeout}s")
