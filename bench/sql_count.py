"""Counted run: every SQL statement a worker's pool processes send.

Loaded only by the worker of the benchmark's counted phase
(``--include bench.sql_count``), never by the throughput phases, whose
figures it would change. Each pool process turns on Django's query log for
its connection (``force_debug_cursor``, what ``CaptureQueriesContext`` does:
every statement through a Django cursor, raw SQL included, plus the BEGIN
and COMMIT of each atomic block) and adds its counts, by first keyword, to
one Redis hash after each task. The service layer is counted the same way
in the benchmark process, so the two figures add up.
"""

from collections import Counter

import redis
from celery import signals
from django.conf import settings

COUNT_KEY = "bench:sql-count"
_counts: Counter = Counter()


def keyword(sql: str) -> str:
    return sql.lstrip().split(None, 1)[0].upper()


@signals.worker_process_init.connect
def _count_statements(**_kwargs) -> None:
    from django.db import connection

    connection.force_debug_cursor = True


@signals.task_postrun.connect
def _publish_counts(**_kwargs) -> None:
    from django.db import connection

    _counts.update(keyword(q["sql"]) for q in connection.queries_log)
    connection.queries_log.clear()
    if not _counts:
        return
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    pipe = client.pipeline()
    for kind, n in _counts.items():
        pipe.hincrby(COUNT_KEY, kind, n)
    pipe.execute()
    _counts.clear()


def counts() -> dict[str, int]:
    """What every pool process counted so far (read by the bench process)."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    return {k.decode(): int(v) for k, v in client.hgetall(COUNT_KEY).items()}


def reset() -> None:
    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(COUNT_KEY)
