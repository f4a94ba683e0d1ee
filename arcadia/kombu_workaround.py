"""Workaround: a lost Redis connection must not end the worker.

Celery 5.7.0 / kombu 5.7.0 (the newest releases of both on PyPI when this
was written, so there is no fixed release to pin): when the broker
connection breaks, the consumer first ``collect()``s the connection, which
detaches the transport from it (``transport.client = None``), and then
``close()``s it. Closing closes the default channel again, and the Redis
channel's ``QoS`` hands its unacknowledged messages back to Redis through a
client built from ``transport.client``, now ``None``:
``AttributeError: 'NoneType' object has no attribute 'hostname'``. The same
happens (``... no attribute 'client'``) when a task that ran across the
outage is acknowledged or rejected on its old, closed channel. Neither is a
connection error, so Celery calls it unrecoverable and the worker exits
(``tests/foundation/test_broker_outage.py`` reproduced it 3 runs of 3).

The fix is the smallest that leaves kombu alone everywhere else: a Redis
channel that no longer knows its connection raises the transport's own
connection error instead, which Celery already handles everywhere (logs it,
reconnects, carries on). Nothing is lost: messages that could not be handed
back stay in Redis's unacknowledged index when Redis survived (the
visibility timeout restores them) and are gone anyway when it came back
empty; either way the saga rows say what is unfinished and the sweeper
resumes it.

It is installed only where it was written for: a Redis broker (the bug is
in kombu's Redis transport; RabbitMQ and the in-memory broker never reach it)
and kombu up to the newest release it was checked on (``CHECKED_UP_TO``). On
a newer kombu it is not installed and says so once: run that test without
the workaround; if the worker survives, delete this module, else raise
``CHECKED_UP_TO``. See docs/decisions/0001.
"""

from __future__ import annotations

import functools
import logging

import kombu
from kombu.transport import redis as redis_transport
from redis.exceptions import ConnectionError as RedisConnectionError

log = logging.getLogger(__name__)

# The newest kombu this was checked on (the bug reproduced, the guard held).
CHECKED_UP_TO = (5, 7, 0)
REDIS_SCHEMES = ("redis://", "rediss://", "redis+socket://", "sentinel://")


def _release(version: str) -> tuple[int, ...]:
    numbers = []
    for part in version.split(".")[:3]:
        digits = "".join(ch for ch in part if ch.isdigit())
        numbers.append(int(digits or 0))
    return tuple(numbers)


def needed(broker_url: str, kombu_version: str = kombu.__version__) -> bool:
    """Whether the guard applies: a Redis broker on a kombu it was checked on.
    Says once (a warning) when kombu is newer than that."""
    if not broker_url.startswith(REDIS_SCHEMES):
        return False
    if _release(kombu_version) > CHECKED_UP_TO:
        log.warning(
            "kombu %s is newer than %s, the last release the Redis reconnect workaround was checked on: "
            "it is not installed. Run tests/foundation/test_broker_outage.py; if the worker survives, "
            "delete arcadia/kombu_workaround.py, else raise CHECKED_UP_TO.",
            kombu_version,
            ".".join(map(str, CHECKED_UP_TO)),
        )
        return False
    return True


def install(broker_url: str, kombu_version: str = kombu.__version__) -> bool:
    """Install the guard where ``needed``; returns whether it is installed."""
    if not needed(broker_url, kombu_version):
        return False
    channel_class = redis_transport.Channel
    if getattr(channel_class._connparams, "_arcadia_guarded", False):
        return True
    original = channel_class._connparams

    @functools.wraps(original)
    def _connparams(self, *args, **kwargs):
        transport = self.connection
        if transport is None or transport.client is None:
            raise RedisConnectionError("the broker connection of this channel was already closed")
        return original(self, *args, **kwargs)

    _connparams._arcadia_guarded = True
    channel_class._connparams = _connparams
    return True
