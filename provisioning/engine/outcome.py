"""What a run of a step (or of its compensation) says should happen next.

The directions are plain functions returning an :class:`Outcome`; the runners
(the Celery tasks, eager mode) act on it: continue the chain, stop it, retry
the task, or turn the saga around and send the compensation chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Next(Enum):
    CONTINUE = "continue"  # done (or nothing to do): the chain goes on
    STOP = "stop"  # the chain must not go on from here
    RETRY = "retry"  # run this task again after ``countdown``
    FAIL = "fail"  # the step failed for good: turnaround.compensation_due turns the saga around
    COMPENSATE = "compensate"  # this run turned the saga around: send its compensation


@dataclass(frozen=True)
class Outcome:
    next: Next
    countdown: float = 0.0
    error: str = ""

    @classmethod
    def cont(cls):
        return cls(Next.CONTINUE)

    @classmethod
    def stop(cls):
        return cls(Next.STOP)

    @classmethod
    def retry(cls, countdown: float):
        return cls(Next.RETRY, countdown=max(0.0, countdown))

    @classmethod
    def fail(cls, error: str):
        return cls(Next.FAIL, error=error)

    @classmethod
    def compensate(cls):
        return cls(Next.COMPENSATE)
