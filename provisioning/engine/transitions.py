"""Declared status transitions: one table per model, one place that checks.

Every model with a lifecycle declares ``TRANSITIONS`` (a :class:`Transitions`)
and changes status only through ``transition_to``; an undeclared change raises
:class:`IllegalTransition`. Hot paths that change status with a conditional
``UPDATE ... WHERE status IN (...)`` ask the same table for the allowed
sources with :meth:`Transitions.sources_of`, so the rules still live here.
"""

from collections.abc import Iterable, Mapping


class IllegalTransition(Exception):
    """A status change that the model's transition table does not allow."""

    def __init__(self, model: str, current: str, target: str):
        # str(): TextChoices members would otherwise show as enum reprs.
        self.model, self.current, self.target = model, str(current), str(target)
        super().__init__(f"{model} cannot go from {self.current!r} to {self.target!r}")


class Transitions:
    def __init__(self, allowed: Mapping[str, Iterable[str]]):
        self._allowed = {source: frozenset(targets) for source, targets in allowed.items()}

    def allows(self, current: str, target: str) -> bool:
        return target in self._allowed.get(current, ())

    def check(self, model: str, current: str, target: str) -> None:
        if not self.allows(current, target):
            raise IllegalTransition(model, current, target)

    def sources_of(self, target: str) -> list[str]:
        """Every status from which ``target`` may be reached (sorted, stable)."""
        return sorted(source for source, targets in self._allowed.items() if target in targets)


class StatusMachineMixin:
    """``transition_to`` for a model with a ``status`` field and ``TRANSITIONS``."""

    TRANSITIONS: Transitions

    def transition_to(self, target: str) -> None:
        """Set ``status`` in memory after checking the table; the caller saves."""
        self.TRANSITIONS.check(type(self).__name__, self.status, target)
        self.status = target
