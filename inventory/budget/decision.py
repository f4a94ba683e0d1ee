"""What a caller asks the budget's store, and what the store answers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    granted: bool
    wait: float  # seconds until this caller's turn is expected (0 when granted)
    ahead: int  # queued callers ranked before this one
    used_hour: int  # permits in the hour window after this decision (phantoms included)
    # Which permits were granted, in the store's terms (its ``restamp`` moves
    # one to a later time): the first permit's id, or the grant's time.
    stamp: str = ""


@dataclass(frozen=True)
class Request:
    """One ask of the store, in its terms (see ``acquire.lua``'s arguments)."""

    lane: int
    waiter: str = ""  # '' = not queued
    cost: int = 1  # permits taken at once
    key: str = ""  # fairness key
    weight: float = 1.0
    saga: str = ""  # whose held calls ``planned`` may spend, ``hold`` adds to
    hold: int = 0
    planned: bool = False
    keep: int = 0  # held calls a planned call must leave to the saga's later steps
    plan: int = 0  # calls the step plans: held beyond keep + plan are given back
