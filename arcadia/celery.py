"""The Celery app. Configuration comes from Django settings (``CELERY_*``)."""

import gc
import os

from celery import Celery, signals, states
from django.conf import settings  # lazy: read after DJANGO_SETTINGS_MODULE is set below

from arcadia import kombu_workaround
from arcadia.flower_guard import refuse_default_credentials as refuse_flower_default_credentials

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arcadia.settings")
# Before any connection exists: a Redis blip must not end the worker.
kombu_workaround.install(settings.CELERY_BROKER_URL)

app = Celery("arcadia")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# `celery -A arcadia flower` imports this module before Flower serves.
refuse_flower_default_credentials()


@signals.task_prerun.connect
def drop_connections_left_in_a_transaction(**_kwargs) -> None:
    """Start every task on a connection in autocommit mode.

    A worker reuses its database connection across tasks (``CELERY_DB_REUSE_MAX``)
    and, unlike Django's request cycle, Celery never checks it in between. If an
    atomic block could not restore autocommit as it exited (the connection failed
    at that moment), the connection stays in manual-commit mode, and every later
    task on it would write inside one transaction that nobody commits: its writes
    invisible, its row locks held. Django's own test for this (``autocommit``
    differs from the setting outside any atomic block) costs no query.
    """
    from django.db import connections

    for conn in connections.all(initialized_only=True):
        broken = conn.autocommit != conn.settings_dict["AUTOCOMMIT"]
        if conn.connection is not None and not conn.in_atomic_block and broken:
            conn.close()


# --- memory of prefork pool processes ---------------------------------------
# Every retry (a step polling, a 429 waited out) makes Celery build an
# ExceptionInfo whose billiard traceback copies each frame's code positions:
# hundreds of kilobytes of small tuples, in reference cycles, so only the
# cyclic collector frees them. CPython untracks tuples of ints, so that
# memory never counts towards a full collection, which its heuristics
# postpone while the long-lived heap (Django, Celery, the apps: ~80k
# objects) is large. Under a 429 storm a pool process grew from 88 MB to
# over 200 MB that way (``make bench``, scale phase).


# Whether this process froze its heap at start. A flag, not
# ``gc.get_freeze_count()``: on CPython 3.11 that call walks the whole frozen
# generation (~80k objects, 3 ms or more), and it ran after every task.
_heap_frozen = False


@signals.worker_process_init.connect
def freeze_what_the_pool_process_started_with(**_kwargs) -> None:
    """Move everything alive after start-up to the permanent generation:
    collections then scan only what tasks allocate, a millisecond or two."""
    global _heap_frozen
    gc.collect()
    gc.freeze()
    _heap_frozen = True


@signals.task_postrun.connect
def collect_after_a_retry_or_failure(state=None, **_kwargs) -> None:
    # The state first: most tasks succeed and cost nothing here. Only where
    # the heap is frozen (pool processes): elsewhere (the embedded worker, a
    # solo pool) a full collection would scan everything.
    if state in (states.RETRY, states.FAILURE) and _heap_frozen:
        gc.collect()


@signals.worker_process_shutdown.connect
def send_the_spans_still_batched(**_kwargs) -> None:
    # A pool process can exit without running atexit: flush the batch first.
    from provisioning.engine import tracing_flush

    tracing_flush()


@signals.setup_logging.connect
def keep_djangos_logging(**_kwargs) -> None:
    """Celery's own logging set-up would replace LOGGING's handler (and its
    JSON formatter and filter) with its plain one: apply LOGGING instead."""
    import logging.config

    logging.config.dictConfig(settings.LOGGING)
