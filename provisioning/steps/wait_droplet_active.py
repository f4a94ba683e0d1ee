import time

from django.conf import settings

from provisioning.engine import NotReady, PermanentError, RetryPolicy, Step, StepContext
from provisioning.steps._gateway import GatewayNotFound, gateway, gateway_errors


class WaitDropletActive(Step):
    """Waits ``ARCADIA_DROPLET_BOOT_WAIT`` seconds (a typical boot), then polls
    the droplet every ``ARCADIA_DROPLET_POLL_INTERVAL`` seconds until it is
    ``active`` with a public IPv4; output ``ipv4``.

    A 404 just after create is DigitalOcean catching up: not ready yet.
    ``errored`` fails at once; still not active after
    ``ARCADIA_DROPLET_ACTIVE_TIMEOUT`` seconds fails too (the engine's
    deadline, checked here as well so the rule holds under any engine).

    Idempotent: a read-only poll.

    Compensation: nothing; create_droplet's compensation destroys the droplet.
    """

    name = "wait_droplet_active"

    @property
    def retry(self) -> RetryPolicy:
        # Read at run time so settings (and tests) can change the cadence.
        return RetryPolicy(
            poll_interval=settings.ARCADIA_DROPLET_POLL_INTERVAL,
            deadline=settings.ARCADIA_DROPLET_ACTIVE_TIMEOUT,
        )

    def execute(self, ctx: StepContext) -> dict:
        droplet_id, interval = ctx["droplet_id"], settings.ARCADIA_DROPLET_POLL_INTERVAL
        if ctx.attempt == 1 and settings.ARCADIA_DROPLET_BOOT_WAIT > 0:
            # A droplet takes tens of seconds to boot: asking before then only
            # spends rate limit (250 requests/minute per token).
            raise NotReady(f"droplet {droplet_id} is booting", retry_after=settings.ARCADIA_DROPLET_BOOT_WAIT)
        with gateway_errors():
            try:
                droplet = gateway().droplet_get(droplet_id)
            except GatewayNotFound:
                droplet = None
        if droplet is not None and droplet.status == "active" and droplet.ipv4:
            return {"ipv4": droplet.ipv4}
        if droplet is not None and droplet.status == "errored":
            raise PermanentError(f"droplet {droplet_id} errored while booting")
        state = droplet.status if droplet else "not found"
        if (
            ctx.started_at
            and time.time() - ctx.started_at.timestamp() > settings.ARCADIA_DROPLET_ACTIVE_TIMEOUT
        ):
            raise PermanentError(
                f"droplet {droplet_id} still {state} after {settings.ARCADIA_DROPLET_ACTIVE_TIMEOUT:g}s"
            )
        raise NotReady(f"droplet {droplet_id} is {state}", retry_after=interval)

    def compensate(self, ctx: StepContext) -> None:
        return None
