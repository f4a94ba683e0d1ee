"""Step ``remove_deployment_dns`` (teardown): deletes the deployment's A
record, or puts back the record it adopted as it found it."""

from provisioning.engine import Step, StepContext
from provisioning.steps._gateway import gateway, gateway_errors
from provisioning.steps.point_deployment_dns import DEFAULT_TTL


class RemoveDeploymentDns(Step):
    """Teardown: the deployment's A record, if it points at the deployment's
    droplet, is deleted, or, when provisioning adopted a record that stood
    before (``dns_previous`` from the provisioning saga), put back as it
    was found (data and TTL; the record keeps its id). Outputs
    ``dns_removed`` (the record's data and TTL as it pointed at the droplet,
    or ``None``) and ``dns_restored`` (the before-image put back, or
    ``None``). Its own record is the one pointing at the deployment's
    droplet, whose address nobody could point a record at before Arcadia
    bought it (not the id provisioning recorded: this step's own undo
    recreates the record under a new id). A record that points elsewhere
    belongs to someone else now and is left alone.

    Idempotent: once deleted or put back, a rerun finds no record pointing
    at the droplet and does nothing.

    Compensation: while the droplet still exists, makes sure the record
    points at it again (recreated with its former TTL when missing, pointed
    back when it was put back); after destroy_droplet there is nothing to
    point at, so it does nothing.
    """

    name = "remove_deployment_dns"
    provider_calls = 2  # a look-up of the name, then the delete

    def execute(self, ctx: StepContext) -> dict:
        gw, domain, name, ipv4 = gateway(ctx), ctx["dns_domain"], ctx["dns_name"], ctx.get("ipv4")
        previous = ctx.get("dns_previous")
        with gateway_errors():
            current = gw.record_find(domain, name, type="A")
            if current is None or not ipv4 or current.data != ipv4:
                return {"dns_removed": None, "dns_restored": None}
            removed = {"data": current.data, "ttl": current.ttl}
            if previous:
                gw.record_update(domain, current.id, data=previous["data"], ttl=previous["ttl"])
                return {"dns_removed": removed, "dns_restored": previous}
            gw.record_delete(domain, current.id)
        return {"dns_removed": removed, "dns_restored": None}

    def compensate(self, ctx: StepContext) -> None:
        ipv4 = ctx.get("ipv4")
        if ctx.get("droplet_destroyed") or not ipv4:
            return
        gw, domain, name = gateway(ctx, compensating=True), ctx["dns_domain"], ctx["dns_name"]
        ttl = (ctx.get("dns_removed") or {}).get("ttl") or DEFAULT_TTL
        restored = ctx.get("dns_restored")
        with gateway_errors():
            current = gw.record_find(domain, name, type="A")
            if current is None:
                gw.record_create(domain, type="A", name=name, data=ipv4, ttl=ttl)
            elif restored and current.id == restored.get("id") and current.data == restored["data"]:
                gw.record_update(domain, current.id, data=ipv4, ttl=ttl)
