"""Step ``wait_droplet_active``: polls until the droplet is active with a public address."""

import time

from django.conf import settings

from inventory.status_reads import droplet_status_read
from provisioning.engine import NotReady, PermanentError, RetryPolicy, Step, StepContext
from provisioning.steps._gateway import ARCADIA_TAG, gateway, gateway_errors


class WaitDropletActive(Step):
    """Waits ``ARCADIA_DROPLET_BOOT_WAIT`` seconds (a typical boot), then polls
    the droplet every ``ARCADIA_DROPLET_POLL_INTERVAL`` seconds until it is
    ``active`` with a public IPv4; output ``ipv4``.

    Polls are shared (``inventory.status_reads``): while many droplets boot,
    one tag listing per poll interval answers every waiting saga; a droplet
    the listing misses is read by id. A 404 just after create is DigitalOcean
    catching up: not ready yet. ``errored`` fails at once; still not active
    ``ARCADIA_DROPLET_ACTIVE_TIMEOUT`` seconds after DigitalOcean created it
    fails too (the engine's deadline, checked here as well so the rule holds
    under any engine). That clock is the droplet's, so time spent waiting for
    the provider budget (``Throttled``, raised before any status is known)
    does not count against it.

    Idempotent: a read-only poll.

    Compensation: nothing; create_droplet's compensation destroys the droplet.
    """

    name = "wait_droplet_active"
    # One status read held for the saga: a window running out still lets a
    # droplet bought be seen active. A shared listing answers most polls for
    # nothing; the read held is then given back at the DNS step.
    provider_calls = 1

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
        since = ctx.started_at.timestamp() if ctx.started_at else None
        with gateway_errors():
            read = droplet_status_read(
                gateway(ctx),
                droplet_id,
                tag=ARCADIA_TAG,
                interval=interval if settings.ARCADIA_DROPLET_STATUS_SHARED else 0.0,
                since=since,
            )
        if not read.known:
            # Another saga is listing, or the last listing predates this droplet.
            # Back when that listing is expected (read.again), not sooner.
            raise NotReady(
                f"droplet {droplet_id}: waiting for the shared listing",
                retry_after=min(interval, max(0.1, read.again)),
            )
        droplet = read.droplet
        if droplet is not None and droplet.status == "active" and droplet.ipv4:
            return {"ipv4": droplet.ipv4}
        if droplet is not None and droplet.status == "errored":
            raise PermanentError(f"droplet {droplet_id} errored while booting")
        state = droplet.status if droplet else "not found"
        # The droplet's own clock when DigitalOcean reported it; the step's
        # start otherwise (a droplet that never shows up).
        born = (droplet.created_at if droplet is not None else None) or since
        if born and time.time() - born > settings.ARCADIA_DROPLET_ACTIVE_TIMEOUT:
            raise PermanentError(
                f"droplet {droplet_id} still {state} after {settings.ARCADIA_DROPLET_ACTIVE_TIMEOUT:g}s"
            )
        raise NotReady(f"droplet {droplet_id} is {state}", retry_after=interval)

    def compensate(self, ctx: StepContext) -> None:
        return None
