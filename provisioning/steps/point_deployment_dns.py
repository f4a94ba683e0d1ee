"""Step ``point_deployment_dns``: points the deployment's A record at the
droplet (undo: restores what stood)."""

from provisioning.engine import Step, StepContext
from provisioning.steps._gateway import gateway, gateway_errors

DEFAULT_TTL = 300


def _record_image(record) -> dict | None:
    return None if record is None else {"id": record.id, "data": record.data, "ttl": record.ttl}


class PointDeploymentDns(Step):
    """Points the deployment's A record (its ``dns_name``: ``<name>.<tenant>``) at the
    droplet's IPv4; outputs ``dns_previous`` (the record as it was, or
    ``None`` when there was none) and ``dns_record_id``.

    Before it writes, it checkpoints ``dns_previous`` through the engine
    (committed before the write leaves), so a retry after a lost answer,
    which finds its own address already in the record, still knows the
    record that stood before, and the compensation restores it.

    Idempotent: a record already pointing at the droplet's address is left
    as it is.

    Compensation: puts the previous record back (data and TTL), or deletes
    the record when there was none before, but only while it still points at
    this droplet: a record someone else changed meanwhile is not ours to
    remove.
    """

    name = "point_deployment_dns"
    provider_calls = 2  # a look-up of the name, then the write

    def execute(self, ctx: StepContext) -> dict:
        # Two calls in a row (look-up, then write): permits for both at once.
        gw, domain, name, ipv4 = gateway(ctx, calls=2), ctx["dns_domain"], ctx["dns_name"], ctx["ipv4"]
        with gateway_errors():
            current = gw.record_find(domain, name, type="A")
            if "dns_previous" in ctx:
                previous = ctx["dns_previous"]  # an earlier try's checkpoint
            else:
                # Not ours yet (the address is new): this is the before-image.
                previous = None if current is not None and current.data == ipv4 else _record_image(current)
                ctx.checkpoint(dns_previous=previous)
            if current is not None and current.data == ipv4:
                return {"dns_previous": previous, "dns_record_id": current.id}
            if current is None:
                record = gw.record_create(domain, type="A", name=name, data=ipv4, ttl=DEFAULT_TTL)
            else:
                record = gw.record_update(domain, current.id, data=ipv4)
        return {"dns_previous": previous, "dns_record_id": record.id}

    def compensate(self, ctx: StepContext) -> None:
        gw, domain, name = gateway(ctx, compensating=True), ctx["dns_domain"], ctx["dns_name"]
        previous, ours = ctx.get("dns_previous"), ctx.get("ipv4")
        with gateway_errors():
            current = gw.record_find(domain, name, type="A")
            if previous is None:
                if current is not None and ours and current.data == ours:
                    gw.record_delete(domain, current.id)
            elif current is None:
                gw.record_create(domain, type="A", name=name, data=previous["data"], ttl=previous["ttl"])
            elif current.data == ours:
                gw.record_update(domain, current.id, data=previous["data"], ttl=previous["ttl"])
