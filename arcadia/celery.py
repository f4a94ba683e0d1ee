"""The Celery app. Configuration comes from Django settings (``CELERY_*``)."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arcadia.settings")

app = Celery("arcadia")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


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
