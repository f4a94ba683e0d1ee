"""The simulator's settings: what ``python -m dosim``'s flags,
``start_in_thread(**config)`` and ``POST /_dosim/config`` or ``/_dosim/reset``
may set, each value parsed to its field's type."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any


@dataclass
class Config:
    token: str = "dosim-token"
    domains: tuple[str, ...] = ("arcadia.test",)
    boot_delay: float = 1.0
    # 0 = no budget: benchmarks must measure Arcadia, not DigitalOcean's
    # 250/minute limit; set it to see 429s.
    rate_limit_per_minute: int = 0
    # DigitalOcean's other window (5,000 at the real API); 0 = none.
    rate_limit_per_hour: int = 0
    default_per_page: int = 20
    max_per_page: int = 200
    log_size: int = 5000
    seed: int | None = None
    # Keep whole request/response pairs (conformance tests validate them).
    capture: bool = False
    # Base of pagination links instead of the request's Host (tests only).
    links_base: str = ""

    def update(self, values: dict[str, Any]) -> None:
        known = {f.name: f for f in fields(self)}
        unknown = set(values) - set(known)
        if unknown:
            raise ValueError(f"unknown config key(s) {sorted(unknown)}; one of {sorted(known)}")
        for key, value in values.items():
            if key == "domains":
                value = tuple([value] if isinstance(value, str) else value)
            elif key == "capture" and isinstance(value, str):
                value = value.lower() in ("1", "true", "yes")
            elif value is not None and key not in ("token", "seed"):
                value = type(getattr(Config, key))(value)
            setattr(self, key, value)
