"""Step ``remove_deployment_dns`` (teardown): deletes the deployment's A record."""

from provisioning.engine import Step, StepContext
from provisioning.steps._gateway import gateway, gateway_errors
from provisioning.steps.point_deployment_dns import DEFAULT_TTL


class RemoveDeploymentDns(Step):
    """Teardown: deletes the deployment's A record if it points at the
    deployment's droplet; output ``dns_removed`` (the deleted record's data
    and TTL, or ``None``). A record that points elsewhere belongs to
    someone else now and is left alone.

    Idempotent: once deleted, a rerun finds nothing to delete.

    Compensation: while the droplet still exists, makes sure the record
    points at it again (recreated with its former TTL when missing); after
    destroy_droplet there is nothing to point at, so it does nothing.
    """

    name = "remove_deployment_dns"
    provider_calls = 2  # a look-up of the name, then the delete

    def execute(self, ctx: StepContext) -> dict:
        gw, domain, name, ipv4 = gateway(ctx), ctx["dns_domain"], ctx["dns_name"], ctx.get("ipv4")
        with gateway_errors():
            current = gw.record_find(domain, name, type="A")
            if current is None or not ipv4 or current.data != ipv4:
                return {"dns_removed": None}
            gw.record_delete(domain, current.id)
        return {"dns_removed": {"data": current.data, "ttl": current.ttl}}

    def compensate(self, ctx: StepContext) -> None:
        ipv4 = ctx.get("ipv4")
        if ctx.get("droplet_destroyed") or not ipv4:
            return
        gw, domain, name = gateway(ctx, compensating=True), ctx["dns_domain"], ctx["dns_name"]
        ttl = (ctx.get("dns_removed") or {}).get("ttl") or DEFAULT_TTL
        with gateway_errors():
            if gw.record_find(domain, name, type="A") is None:
                gw.record_create(domain, type="A", name=name, data=ipv4, ttl=ttl)
