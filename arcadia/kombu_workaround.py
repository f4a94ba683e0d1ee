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
(``tests/corners/test_broker_outage.py`` reproduced it 3 runs of 3).

The fix is the smallest that leaves kombu alone everywhere else: a Redis
channel that no longer knows its connection raises the transport's own
connection error instead, which Celery already handles everywhere (logs it,
reconnects, carries on). Nothing is lost: messages that could not be handed
back stay in Redis's unacknowledged index when Redis survived (the
visibility timeout restores them) and are gone anyway when it came back
empty; either way the saga rows say what is unfinished and the sweeper
resumes it.

Remove this module once a Celery/kombu release survives that test without it.
"""

from __future__ import annotations

import functools

from kombu.transport import redis as redis_transport
from redis.exceptions import ConnectionError as RedisConnectionError


def install() -> None:
    channel_class = redis_transport.Channel
    if getattr(channel_class._connparams, "_arcadia_guarded", False):
        return
    original = channel_class._connparams

    @functools.wraps(original)
    def _connparams(self, *args, **kwargs):
        transport = self.connection
        if transport is None or transport.client is None:
            raise RedisConnectionError("the broker connection of this channel was already closed")
        return original(self, *args, **kwargs)

    _connparams._arcadia_guarded = True
    channel_class._connparams = _connparams
