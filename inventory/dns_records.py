"""Reading a zone's records outside any saga: what stands at a name before
Arcadia asks for it (the POST's early refusal of a record it did not create).

One look-up per POST would cost a quarter of every deployment's calls at
DigitalOcean's limit (a deployment needs three otherwise), and a burst of
POSTs would spend the window its own sagas need. So the POST reads the
zone's A records from a snapshot: one listing (all pages) serves every POST
for ``ARCADIA_DNS_POST_CHECK_SECONDS``. A zone too large to list cheaply
(more than ``MAX_SNAPSHOT_PAGES`` pages last time) is asked by name instead.
A record made by hand after the snapshot is not seen at POST; the DNS step
looks again just before it writes and refuses it there (the saga rolls
back), so a stale snapshot delays a refusal, never lets an overwrite through.
A record the snapshot shows is looked up by name before the POST is refused
(it may be gone since: a deployment deleted a moment ago took its record).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache

from inventory.gateway import DnsRecord, GatewayError, get_gateway

log = logging.getLogger(__name__)

# A listing of this many pages costs as much as that many POSTs' look-ups
# by name: beyond it, a snapshot saves nothing in a quiet hour.
MAX_SNAPSHOT_PAGES = 3
_KEY = "arcadia:zone-a-records:"


def dns_record_standing(*, domain: str, name: str) -> DnsRecord | None:
    """The A record at ``name`` in ``domain``, or ``None`` when there is none
    *or DigitalOcean cannot say now* (an outage, a timeout, the budget spent
    for this minute: the gateway never waits for a permit here).

    At most one listing of the zone per ``ARCADIA_DNS_POST_CHECK_SECONDS``,
    through the gateway and its budget (see the module's docstring). A
    look-up that cannot be made is not a refusal: the DNS step looks again
    before it writes and fails for good on a record it did not create, so an
    outage delays nothing and lets nothing through."""
    try:
        records = _zone_a_records(domain)
        if records is not None and name not in records:
            return None
        return get_gateway().record_find(domain, name, type="A")
    except GatewayError as exc:
        log.info("DNS look-up of %s.%s skipped: %s", name, domain, exc)
        return None


def _zone_a_records(domain: str) -> set[str] | None:
    """The names of the zone's A records, from the snapshot or a new
    listing; None when the zone is too large to list."""
    seconds = float(settings.ARCADIA_DNS_POST_CHECK_SECONDS)
    if seconds <= 0:
        return None
    key = _KEY + domain
    snapshot = cache.get(key)
    if snapshot is not None:
        return snapshot["records"]
    if (cache.get(key + ":pages") or 0) > MAX_SNAPSHOT_PAGES:
        return None
    listing = get_gateway().records_list(domain, type="A")
    records = {record.name for record in listing.items if record.type == "A"}
    cache.set(key, {"records": records}, timeout=seconds)
    # The size is remembered longer than the snapshot: a large zone stays
    # on look-ups by name without being listed again to find out.
    cache.set(key + ":pages", listing.requests, timeout=3600)
    return records


def dns_snapshot_forget(domain: str) -> None:
    """Drop the zone's snapshot (tests: a record a test adds by hand is seen
    by the next POST, not 30 s later)."""
    cache.delete_many([_KEY + domain, _KEY + domain + ":pages"])
