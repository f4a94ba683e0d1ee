"""The bare-chain baseline: 7 no-op tasks under the same delivery settings
as the saga steps (acks_late, reject on worker lost, prefetch 1). The worker
loads this module only in benchmark runs (``--include bench.tasks``)."""

import redis
from celery import shared_task
from django.conf import settings

DONE_KEY = "bench:bare-chain:done"


@shared_task(name="bench.noop")
def noop():
    return None


@shared_task(name="bench.done")
def done():
    redis.Redis.from_url(settings.CELERY_BROKER_URL).incr(DONE_KEY)
