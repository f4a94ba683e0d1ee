"""Preflight for a real DigitalOcean account: can Arcadia work with this
token, zone and API, before anything is created?

Each check reads only (no droplet, record or tag is created) and says what to
fix when it fails. The token itself is never printed: only whether it is
set, and what DigitalOcean answered about it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from inventory.gateway import DigitalOceanGateway, GatewayError, GatewayNotFound, GatewayPermanentError

TOKEN_PAGE = "https://cloud.digitalocean.com/account/api/tokens"
SCOPES = (
    "a token with read and write access, or custom scopes account:read, droplet:create, "
    "droplet:read, droplet:delete, domain:read, domain:create, domain:update, domain:delete, "
    "tag:create, tag:read"
)
# Below this share of the window left, other users of the token (the team's
# own tools) leave Arcadia little room.
LOW_REMAINING = 0.1


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    warning: bool = False  # ok, but worth a look

    @property
    def label(self) -> str:
        return "FAIL" if not self.ok else ("warn" if self.warning else "ok")


def preflight(*, api_url: str, token: str, zone: str, tag: str, simulator_token: str = "") -> list[Check]:
    """Every check, in order; later checks are skipped once the API or the
    token is unusable (their failure would only repeat the first)."""
    try:
        gateway = DigitalOceanGateway(token=token, api_url=api_url)
    except ValueError as exc:
        return [Check("configuration", False, str(exc), "set DIGITALOCEAN_TOKEN and DIGITALOCEAN_API_URL")]
    checks = [_configuration(gateway, token, simulator_token)]
    account = _account(gateway)
    checks.append(account[0])
    if not account[0].ok:
        return checks
    checks.append(_rate_limits(account[1]))
    checks.append(_zone(gateway, zone))
    checks.append(_tag_listing(gateway, tag))
    return checks


def _configuration(gateway: DigitalOceanGateway, token: str, simulator_token: str) -> Check:
    if simulator_token and token == simulator_token:
        return Check(
            "api",
            True,
            f"{gateway.api_url} with the simulator's token: "
            "this checks the bundled simulator, not DigitalOcean",
            "for a real account set DIGITALOCEAN_TOKEN (DIGITALOCEAN_API_URL then defaults to DigitalOcean)",
            warning=True,
        )
    return Check("api", True, f"{gateway.api_url}, token set (not shown)")


def _account(gateway: DigitalOceanGateway) -> tuple[Check, dict]:
    try:
        account, limits = gateway.account_get()
    except GatewayPermanentError as exc:
        if exc.status in (401, 403):
            return Check("token", False, f"refused: {exc}", f"create a token at {TOKEN_PAGE} ({SCOPES})"), {}
        return Check(
            "token", False, str(exc), "check DIGITALOCEAN_API_URL: it must be the API's /v2/ URL"
        ), {}
    except GatewayError as exc:
        fix = "check the network and DIGITALOCEAN_API_URL; DigitalOcean's status page if it persists"
        return Check("token", False, f"no usable answer: {exc}", fix), {}
    status = account.get("status", "unknown")
    detail = (
        f"accepted: account {account.get('email', '?')}, status {status}, "
        f"droplet limit {account.get('droplet_limit', '?')}"
    )
    if status != "active":
        message = account.get("status_message") or "see the DigitalOcean control panel"
        return Check(
            "token", False, f"{detail}: {message}", "resolve the account's status with DigitalOcean"
        ), limits
    return Check("token", True, detail), limits


def _rate_limits(limits: dict) -> Check:
    try:
        limit, remaining = int(limits["ratelimit-limit"]), int(limits["ratelimit-remaining"])
        reset = float(limits["ratelimit-reset"])
    except (KeyError, ValueError):
        return Check(
            "rate limit",
            False,
            f"no usable ratelimit-limit/-remaining/-reset headers (got {sorted(limits) or 'none'})",
            "DIGITALOCEAN_API_URL must point at DigitalOcean's API (or a server that sends its headers)",
        )
    resets = time.strftime("%H:%M:%S UTC", time.gmtime(reset))
    detail = f"{remaining} of {limit} requests left in this window, it resets at {resets}"
    if limit and remaining / limit < LOW_REMAINING:
        fix = "other tools use this token heavily: give Arcadia a token of its own, or wait for the reset"
        return Check("rate limit", True, detail, fix, warning=True)
    return Check("rate limit", True, detail)


def _zone(gateway: DigitalOceanGateway, zone: str) -> Check:
    try:
        count = gateway.zone_record_count(zone)
    except GatewayNotFound:
        return Check(
            "zone",
            False,
            f"{zone} is not a domain of this account",
            f"add {zone} under Networking → Domains and point its NS records at "
            "ns1/ns2/ns3.digitalocean.com, or set ARCADIA_DNS_DOMAIN to a zone you have there",
        )
    except GatewayError as exc:
        return Check("zone", False, str(exc), f"the token needs domain:read ({SCOPES})")
    return Check("zone", True, f"{zone} exists ({count} records)")


def _tag_listing(gateway: DigitalOceanGateway, tag: str) -> Check:
    try:
        droplets = gateway.droplets_by_tag(tag)
    except GatewayError as exc:
        return Check("tag listing", False, str(exc), f"the token needs droplet:read and tag:read ({SCOPES})")
    return Check("tag listing", True, f"listing droplets tagged '{tag}' works: {len(droplets)} carry it now")
