"""A plain Celery app: Arcadia's delivery settings, nothing of Arcadia.

Configured from the environment the benchmark gives every process
(``CELERY_BROKER_URL``); the worker runs ``celery -A bench.plain.app worker``.
The settings that shape delivery are Arcadia's (``arcadia/settings.py``,
``CELERY_*``), copied, not imported, so that nothing of Arcadia loads:
acks late, requeue when the pool process dies, prefetch 1, JSON, no result
backend, the same time limits and visibility timeout. Task events stay off
(Celery's default), as in Arcadia's workers.
"""

import os
import sys

from celery import Celery, signals

QUEUE = "plain"  # its own queue: Arcadia's worker on the same broker never sees these

# No fixups: Celery's Django fixup would otherwise, seeing DJANGO_SETTINGS_MODULE,
# set Django up in this worker, which imports ``arcadia`` and with it
# Arcadia's signal handlers (Celery's signals are process-wide).
app = Celery("plain", broker=os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0"), fixups=())
app.conf.update(
    include=["bench.plain.chain"],
    task_default_queue=QUEUE,
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_serializer="json",
    accept_content=["json"],
    task_ignore_result=True,
    result_backend=None,
    task_soft_time_limit=120,
    task_time_limit=150,
    broker_transport_options={"visibility_timeout": 3600},
    broker_connection_retry_on_startup=True,
)


@signals.worker_init.connect
def refuse_to_run_with_arcadia_loaded(**_kwargs) -> None:
    """The baseline means nothing if Arcadia's code runs in it: fail loudly."""
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("arcadia", "django", "provisioning"))
    if loaded:
        raise RuntimeError(f"the plain-Celery baseline loaded Arcadia or Django: {loaded[:5]}")
