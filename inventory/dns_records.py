"""Reading a zone's records outside any saga: what stands at a name before
Arcadia asks for it (the POST's early refusal of a record it did not create)."""

from __future__ import annotations

import logging

from inventory.gateway import DnsRecord, GatewayError, get_gateway

log = logging.getLogger(__name__)


def dns_record_standing(*, domain: str, name: str) -> DnsRecord | None:
    """The A record at ``name`` in ``domain``, or ``None`` when there is none
    *or DigitalOcean cannot say now* (an outage, a timeout, the budget spent
    for this minute: the gateway never waits for a permit here).

    One request through the gateway and its budget. A look-up that cannot be
    made is not a refusal: the DNS step looks again before it writes and
    fails for good on a record it did not create, so an outage delays
    nothing and lets nothing through."""
    try:
        return get_gateway().record_find(domain, name, type="A")
    except GatewayError as exc:
        log.info("DNS look-up of %s.%s skipped: %s", name, domain, exc)
        return None
