"""Who holds a lease, and whether that runner is known to be gone.

A lease normally ends when its owner records or releases it, or when it
expires. Waiting out the expiry is right while the owner may still be
running; it is wasted time when the owner is known to be gone:

- an earlier try of the same task: a task retries itself only after that
  run ended (a database outage made it retry before it could release);
- a process on this host that no longer exists (a pool process killed; a
  worker restarted), recognised by its pid and start time.

A copy of the same message (a broker redelivery while the original still
runs) has the same task id and try number: it is never taken for gone.

A runner elsewhere is judged by its heartbeat (:mod:`.heartbeats`), keyed by
:func:`runner_of`: the host, pid and start time that open the owner string.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from functools import cache

SEPARATOR = "|"


@dataclass(frozen=True)
class Owner:
    host: str
    pid: int
    started: str  # the process's start time, so a reused pid is not mistaken for it
    task_id: str
    tries: int

    def __str__(self) -> str:
        run = uuid.uuid4().hex[:8]  # unique per execution
        fields = (self.host, str(self.pid), self.started, self.task_id, str(self.tries), run)
        return SEPARATOR.join(fields)[:128]

    @classmethod
    def parse(cls, text: str) -> Owner | None:
        parts = text.split(SEPARATOR)
        if len(parts) != 6:
            return None
        host, pid, started, task_id, tries, _run = parts
        try:
            return cls(host=host, pid=int(pid), started=started, task_id=task_id, tries=int(tries))
        except ValueError:
            return None


def this_run(*, task_id: str, tries: int) -> str:
    """The owner string for a run of ``task_id`` (its ``tries``-th retry) here."""
    pid = os.getpid()
    return str(Owner(host=_host(), pid=pid, started=_started(pid), task_id=task_id or "-", tries=tries))


def gone(holder: str, me: str) -> bool:
    """Whether the run that holds a lease is known to have ended."""
    held, mine = Owner.parse(holder), Owner.parse(me)
    if held is None or mine is None:
        return False
    if held.task_id == mine.task_id and held.task_id != "-" and held.tries < mine.tries:
        return True  # an earlier try of this very task
    if held.host != _host() or (held.pid, held.started) == (mine.pid, mine.started):
        return False  # elsewhere (only its lease's expiry tells), or this process
    return _started(held.pid) != held.started


def runner_of(owner: str) -> str:
    """The process part of an owner string (host|pid|start time): what its
    heartbeat is keyed by."""
    return SEPARATOR.join(owner.split(SEPARATOR)[:3])


def this_runner() -> str:
    pid = os.getpid()
    return SEPARATOR.join((_host(), str(pid), _started(pid)))


@cache
def _host() -> str:
    # Containers on the host's network share its hostname but not its pid
    # namespace: ARCADIA_RUNNER_HOST names each one apart (and lets a test
    # pose as another host).
    return os.environ.get("ARCADIA_RUNNER_HOST") or socket.gethostname()


def _started(pid: int) -> str:
    """The process's start time in clock ticks since boot ("" when it does not exist)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            # The command name (field 2) may hold spaces: count from its end.
            return stat.read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError):
        return ""
