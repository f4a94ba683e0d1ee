"""Celery tasks of the deployments app (found by ``autodiscover_tasks``)."""

from celery import shared_task


@shared_task(name="deployments.reconcile", acks_late=True)
def reconcile() -> dict:
    """The periodic reconcile pass (``ARCADIA_RECONCILE_INTERVAL``, beat).
    Safe to run twice at once: findings are unique per open fact."""
    from deployments.reconcile import reconcile_pass

    report = reconcile_pass()
    return {"requests": report.requests, "open": len(report.open), "destroyed": len(report.destroyed)}
