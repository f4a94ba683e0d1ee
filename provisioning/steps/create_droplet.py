"""Step ``create_droplet``: buys the droplet, tagged with its saga (undo: destroys it)."""

import time

from django.conf import settings

from inventory.status_reads import droplet_booting
from provisioning.engine import NotReady, Step, StepContext, TransientError
from provisioning.steps._gateway import (
    ARCADIA_TAG,
    droplet_destroy,
    gateway,
    gateway_errors,
    saga_tag,
)

# When the last create left (epoch seconds), checkpointed once the call has
# its permit and before it is sent; the saga context starts with it None
# (deployments.services): no create has left. A run killed before it sent
# leaves None, so the run that takes its step over creates at once.
CREATE_SENT = "droplet_create_sent_at"
_UNKNOWN = object()  # a saga started before the mark existed


def _listing_may_lag(ctx: StepContext) -> float:
    """Seconds left in the tag-listing lag window (0 if over).

    Within ARCADIA_TAG_LISTING_SETTLE of the last create's sending, "no
    droplet carries the tag" may be stale: a retry waits before creating
    again, a compensation looks again before concluding nothing exists.
    When no create has left there is nothing to wait for. A saga from
    before the mark counts from the step's first start, as it always did."""
    sent = ctx.get(CREATE_SENT, _UNKNOWN)
    if sent is None:
        return 0.0
    if sent is _UNKNOWN:
        if ctx.started_at is None:
            return 0.0
        sent = ctx.started_at.timestamp()
    return max(0.0, settings.ARCADIA_TAG_LISTING_SETTLE - (time.time() - sent))


class CreateDroplet(Step):
    """Creates the deployment's droplet, tagged ``arcadia`` and
    ``arcadia-saga-<saga id>``; output ``droplet_id``.

    Idempotent: DigitalOcean has no idempotency key for create, so the step
    first lists droplets by its saga tag and adopts the one it finds. On a
    retry (the previous create may have happened with its answer lost; a run
    the budget refused a permit never left and is not counted as a try) it
    waits out the tag-listing lag from the last create's sending before
    creating, so a retried or redelivered step never makes a second
    droplet. Each create checkpoints when it left, just before it is sent:
    a retry after runs that never sent one (killed first) creates at once.

    Compensation: destroys the recorded droplet and every droplet carrying
    the saga tag (so one whose id was never recorded is found too); 404
    counts as destroyed, 422 (still booting) is retried. With nothing
    recorded and nothing listed yet, it looks again until the lag window
    has passed.
    """

    name = "create_droplet"
    provider_calls = 1  # the create (a retry first lists by tag)

    def execute(self, ctx: StepContext) -> dict:
        gw, tag = gateway(ctx), saga_tag(ctx.saga_id)
        with gateway_errors():
            # The engine counts every run of the step that reached the provider
            # (retries, redeliveries, takeovers; not a run the budget refused),
            # so on attempt 1 no earlier create can exist and the lookup would
            # be a wasted call; nor can one when no earlier run sent its create.
            if ctx.attempt > 1 and ctx.get(CREATE_SENT, _UNKNOWN) is not None:
                existing = gw.droplets_by_tag(tag)
                if existing:
                    return {"droplet_id": min(d.id for d in existing)}
                if wait := _listing_may_lag(ctx):
                    raise NotReady(f"an earlier create may not be listed under {tag} yet", retry_after=wait)
            droplet = gw.droplet_create(
                name=ctx["droplet_name"],
                region=ctx["region"],
                size=ctx["size"],
                image=ctx["image"],
                tags=[ARCADIA_TAG, tag],
                # Committed before the request leaves; refused (and nothing
                # sent) when this run's lease was taken over meanwhile.
                before_send=lambda: ctx.checkpoint(**{CREATE_SENT: time.time()}),
            )
        if settings.ARCADIA_DROPLET_STATUS_SHARED:
            droplet_booting(gw, droplet.id, interval=settings.ARCADIA_DROPLET_POLL_INTERVAL)
        return {"droplet_id": droplet.id}

    def compensate(self, ctx: StepContext) -> None:
        gw, tag = gateway(ctx, compensating=True), saga_tag(ctx.saga_id)
        with gateway_errors():
            ids = {d.id for d in gw.droplets_by_tag(tag)}
        if ctx.get("droplet_id"):
            ids.add(ctx["droplet_id"])
        if not ids and (wait := _listing_may_lag(ctx)):
            raise TransientError(f"no droplet listed under {tag} yet; looking again", retry_after=wait)
        for droplet_id in sorted(ids):
            droplet_destroy(gw, droplet_id)
