"""Python client for a running simulator: the demo, the tests and the
benchmarks drive faults and read state through it.

    sim = DosimClient("http://127.0.0.1:8089")
    sim.faults("droplet_create", lost_response=1, lost_mode="error", status=500)
    sim.configure(boot_delay=0.2)
    sim.state()["droplets"]
    sim.reset()

Standard library only (no dependency on the code under test).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from dosim.faults import OPERATIONS


class DosimClientError(RuntimeError):
    pass


class DosimClient:
    def __init__(self, base_url: str, *, token: str = "dosim-token", timeout: float = 10.0):
        self.base_url = base_url.rstrip("/").removesuffix("/v2")
        self.api_url = f"{self.base_url}/v2/"
        self.token = token
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"DosimClient({self.base_url!r})"

    def _call(self, method: str, path: str, body: Any = None, *, api: bool = False) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if api:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise DosimClientError(f"{method} {path}: {exc.code} {exc.read()[:500]!r}") from None
        return json.loads(raw) if raw else None

    # --- control -----------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """{droplets: [API droplet JSON], records: [{domain, id, type, name,
        data, ttl, ...}], requests: [{method, path, query, operation, status,
        fault, time}], counts: {operation: n}, faults, config}"""
        return self._call("GET", "/_dosim/state")

    def reset(self, **config: Any) -> None:
        """Forget every droplet, record, fault and logged request (zones are
        re-seeded); ``config`` changes settings first."""
        self._call("POST", "/_dosim/reset", config)

    def reset_windows(self) -> dict[str, int]:
        """Empty both rate-limit windows; keep everything else. Returns the counts."""
        return self._call("DELETE", "/_dosim/ratelimit")["windows"]

    def windows(self) -> dict[str, int]:
        """Accepted requests in the current minute and hour windows."""
        return self._call("GET", "/_dosim/ratelimit")["windows"]

    def configure(self, **config: Any) -> dict[str, Any]:
        """boot_delay, rate_limit_per_minute, rate_limit_per_hour, domains, default_per_page,
        max_per_page, log_size, seed, token."""
        return self._call("POST", "/_dosim/config", config)["config"]

    def faults(self, operation: str | None = None, /, **params: Any) -> dict[str, Any]:
        """``faults("droplet_get", fail_next=2, status=503)`` sets one
        operation's faults (merged with what it has); ``faults(droplet_get={...},
        record_list={...})`` sets several; ``faults()`` just reads them."""
        body = {operation: params} if operation else params
        return self._call("POST", "/_dosim/faults", body)["faults"]

    def fault_all(self, **params: Any) -> dict[str, Any]:
        """The same faults on every operation (e.g. a transient storm)."""
        return self._call("POST", "/_dosim/faults", {op: params for op in OPERATIONS})["faults"]

    def clear_faults(self, operation: str | None = None) -> None:
        if operation:
            self._call("POST", "/_dosim/faults", {operation: None})
        else:
            self._call("DELETE", "/_dosim/faults")

    def exchanges(self) -> list[dict[str, Any]]:
        """Whole request/response pairs, kept while ``configure(capture=True)``."""
        return self._call("GET", "/_dosim/exchanges")["exchanges"]

    # --- conveniences over state() and the API --------------------------------------
    def droplets(self) -> list[dict[str, Any]]:
        return self.state()["droplets"]

    def records(self, domain: str | None = None) -> list[dict[str, Any]]:
        return [r for r in self.state()["records"] if domain is None or r["domain"] == domain]

    def requests(self, operation: str | None = None) -> list[dict[str, Any]]:
        return [r for r in self.state()["requests"] if operation is None or r["operation"] == operation]

    def a_record(self, name: str, domain: str = "arcadia.test") -> dict[str, Any] | None:
        found = [r for r in self.records(domain) if r["type"] == "A" and r["name"] == name]
        return found[0] if found else None

    def add_record(self, domain: str, name: str, data: str, *, type: str = "A", ttl: int = 1800) -> dict:
        """Seed a record through the real API (counted in the request log)."""
        body = {"type": type, "name": name, "data": data, "ttl": ttl}
        return self._call("POST", f"/v2/domains/{domain}/records", body, api=True)["domain_record"]

    # --- behind the client's back (not in the request log) -------------------------
    def droplet_create_behind(
        self,
        name: str = "by-hand",
        *,
        tags: list[str] | None = None,
        region: str = "nyc3",
        size: str = "s-1vcpu-1gb",
        image: str = "ubuntu-24-04-x64",
        age: float = 0.0,
        count: int = 1,
    ) -> dict[str, Any]:
        """A droplet made in the control panel; ``age`` seconds old (an aged
        one is active at once). With ``count`` > 1, that many (``name-<i>``);
        returns the first."""
        body = {"name": name, "tags": tags or [], "region": region, "size": size, "image": image}
        body |= {"age": age, "count": count}
        return self._call("POST", "/_dosim/droplets", body)["droplets"][0]

    def droplet_destroy_behind(self, droplet_id: int) -> None:
        self._call("DELETE", f"/_dosim/droplets/{int(droplet_id)}")

    def droplet_change_behind(
        self, droplet_id: int, *, size: str | None = None, region: str | None = None, ipv4: str | None = None
    ) -> dict[str, Any]:
        """Resize, move or re-address a droplet, as the control panel would."""
        body = {"size": size, "region": region, "ipv4": ipv4}
        return self._call("PATCH", f"/_dosim/droplets/{int(droplet_id)}", body)["droplet"]

    def record_add_behind(
        self, domain: str, name: str, data: str, *, type: str = "A", ttl: int = 1800
    ) -> dict:
        body = {"type": type, "name": name, "data": data, "ttl": ttl}
        return self._call("POST", f"/_dosim/records/{domain}", body)["domain_record"]

    def record_change_behind(self, domain: str, record_id: int, **fields: Any) -> dict[str, Any]:
        """``data``, ``ttl``, ``name`` or ``type`` of one record."""
        return self._call("PATCH", f"/_dosim/records/{domain}/{int(record_id)}", fields)["domain_record"]

    def record_delete_behind(self, domain: str, record_id: int) -> None:
        self._call("DELETE", f"/_dosim/records/{domain}/{int(record_id)}")


def droplet_ipv4(droplet: dict[str, Any]) -> str | None:
    """The public IPv4 of a droplet as the API renders it (None while new)."""
    for net in droplet.get("networks", {}).get("v4", []):
        if net.get("type") == "public":
            return net["ip_address"]
    return None
