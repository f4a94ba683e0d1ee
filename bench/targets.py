"""The figures ``make bench`` judges, and the table it prints of them.

A target names where its figure sits in the run's figures (a path of keys),
how it is judged and the bound. Figures are printed and judged, never
asserted: the table says "NO", the run still ends normally.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass

_JUDGES = {"<=": operator.le, ">=": operator.ge, "==": operator.eq}


@dataclass(frozen=True)
class Target:
    label: str
    path: tuple[str, ...]
    op: str = "-"  # "-": shown for reference, not judged
    bound: float | None = None

    def value(self, figures: dict):
        """The figure, or KeyError when this run has no such phase."""
        value = figures
        for key in self.path:
            value = value[key]
        return value

    def verdict(self, value) -> str:
        if self.op == "-":
            return ""
        return "yes" if value is not None and _JUDGES[self.op](value, self.bound) else "NO"

    @property
    def shown(self) -> str:
        return "-" if self.op == "-" else f"{self.op} {self.bound:g}"


def print_table(figures: dict, targets: list[Target]) -> None:
    """One row a target whose figure this run has."""
    print("\n{:52} {:>10} {:>8}  {}".format("figure", "value", "target", "met"))
    for target in targets:
        try:
            value = target.value(figures)
        except KeyError:
            continue
        print(f"{target.label:52} {value!s:>10} {target.shown:>8}  {target.verdict(value)}")
