"""The errors a step may raise on purpose, and what the engine does with each.

Steps never touch saga or step status: they raise one of these and the
engine decides what happens next.
"""

from __future__ import annotations


class StepError(Exception):
    """Base of the errors a step may raise on purpose."""


class TransientError(StepError):
    """Worth retrying: HTTP 5xx, timeouts, connection resets.

    ``retry_after`` (seconds) is honoured when the server said how long to
    wait (a Retry-After header).
    """

    def __init__(self, message: str = "", *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(StepError):
    """Retrying cannot help: the step fails at once and the saga compensates."""


class NotReady(StepError):
    """Nothing is wrong, the world is not there yet (a droplet still booting).

    The engine polls again after ``retry_after`` seconds (the policy's poll
    interval when ``None``) without counting a failure, until the step's
    ``deadline`` passes, which fails the step permanently.
    """

    def __init__(self, message: str = "", *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class Throttled(NotReady):
    """Waiting for a shared budget (the provider's rate limit), not for the world.

    Counts neither as an attempt nor against the step's deadline: the time a
    step spends queued behind other sagas says nothing about its own work.
    The engine gives the lease back and runs the step again after
    ``retry_after`` seconds.
    """


class SagaOperationRefused(Exception):
    """An operation asked of a saga in the wrong state (cancel a finished
    saga, retry a compensation that did not fail): the caller tells the
    user why."""
