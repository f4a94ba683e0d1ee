"""Step ``point_deployment_dns``: points the deployment's A record at the
droplet, refusing a record Arcadia did not create (undo: deletes its own
record, or puts back an adopted one)."""

from provisioning.engine import PermanentError, Step, StepContext
from provisioning.steps._gateway import gateway, gateway_errors

DEFAULT_TTL = 300


def _record_image(record) -> dict | None:
    return None if record is None else {"id": record.id, "data": record.data, "ttl": record.ttl}


def foreign_record_refused(ctx: StepContext, record) -> PermanentError:
    return PermanentError(
        f"An A record {ctx['dns_name']}.{ctx['dns_domain']} → {record.data} (id {record.id}) stands "
        "that Arcadia did not create: it is left alone (ARCADIA_DNS_ADOPT_EXISTING is off)"
    )


class PointDeploymentDns(Step):
    """Points the deployment's A record (its ``dns_name``: ``<name>.<tenant>``) at the
    droplet's IPv4; outputs ``dns_previous`` (the record as it was, or
    ``None`` when there was none) and ``dns_record_id`` (the record this saga
    owns from now on).

    **A record Arcadia did not create.** At the first look (no checkpoint
    yet), any A record at the name is someone else's: Arcadia writes a record
    only after checkpointing what it found. Unless the saga may adopt it
    (``dns_adopt``, from ``ARCADIA_DNS_ADOPT_EXISTING`` at start), the step
    fails for good, before any write, so the saga rolls back and destroys
    the droplet (docs/design.md, "DNS records Arcadia did not create").

    Before it writes, it checkpoints ``dns_previous`` through the engine
    (committed before the write leaves), so a retry after a lost answer,
    which finds its own address already in the record, knows the record is
    its own, and what stood before.

    Idempotent: a record already pointing at the droplet's address after the
    checkpoint is the step's own and is left as it is. A record that appeared
    after the checkpoint pointing elsewhere is someone else's: refused like
    one found at the first look (or adopted, its before-image checkpointed).

    Compensation: nothing when the step never checkpointed (it wrote
    nothing). Otherwise puts the previous record back (data and TTL), or
    deletes the record when there was none before, but only while it still
    points at this droplet: a record someone else changed meanwhile is not
    ours to remove.
    """

    name = "point_deployment_dns"
    provider_calls = 2  # a look-up of the name, then the write

    def execute(self, ctx: StepContext) -> dict:
        # Two calls in a row (look-up, then write): permits for both at once.
        gw, domain, name, ipv4 = gateway(ctx, calls=2), ctx["dns_domain"], ctx["dns_name"], ctx["ipv4"]
        adopt = bool(ctx.get("dns_adopt"))
        with gateway_errors():
            current = gw.record_find(domain, name, type="A")
            if "dns_previous" in ctx:
                previous = ctx["dns_previous"]  # an earlier try's checkpoint: what it found
            else:
                if current is not None and not adopt:
                    raise foreign_record_refused(ctx, current)
                previous = _record_image(current)
                ctx.checkpoint(dns_previous=previous)
            if current is not None and current.data == ipv4:
                return {"dns_previous": previous, "dns_record_id": current.id}
            if current is None:
                record = gw.record_create(domain, type="A", name=name, data=ipv4, ttl=DEFAULT_TTL)
                return {"dns_previous": previous, "dns_record_id": record.id}
            if previous is None:
                # Nothing stood at the first look: this one appeared since.
                if not adopt:
                    raise foreign_record_refused(ctx, current)
                previous = _record_image(current)
                ctx.checkpoint(dns_previous=previous)
            record = gw.record_update(domain, current.id, data=ipv4)
        return {"dns_previous": previous, "dns_record_id": record.id}

    def compensate(self, ctx: StepContext) -> None:
        if "dns_previous" not in ctx:
            return  # refused, or failed before its checkpoint: it wrote nothing
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
