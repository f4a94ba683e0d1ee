"""What the budget answers a caller."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    granted: bool
    wait: float  # seconds until this caller's turn is expected (0 when granted)
    ahead: int  # queued callers ranked before this one
    used_hour: int  # permits in the hour window after this decision (phantoms included)
