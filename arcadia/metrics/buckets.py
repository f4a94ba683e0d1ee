"""Histograms computed in SQL: one conditional count per bucket bound.

A duration histogram over rows is a handful of ``COUNT(*) FILTER (WHERE
duration <= bound)`` columns in the GROUP BY that reads the rest, so it
costs no extra query and is cumulative over every row (its buckets never go
down, as Prometheus expects of a histogram).
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum

# Seconds. A saga takes seconds to many minutes (a droplet boots in about a
# minute on DigitalOcean); a step from milliseconds to its deadline.
SAGA_BOUNDS = (1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)
STEP_BOUNDS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


def duration(later: str, earlier: str) -> ExpressionWrapper:
    """``later - earlier`` of two datetime fields (or annotations)."""
    return ExpressionWrapper(F(later) - F(earlier), output_field=DurationField())


def aggregates(field: str, bounds: tuple[float, ...]) -> dict:
    """The aggregate columns of a histogram of the duration ``field`` (named
    after it, so two histograms share a query): count, sum, one count per bound."""
    columns = {
        f"{field}_count": Count("pk", filter=Q(**{f"{field}__isnull": False})),
        f"{field}_sum": Sum(field),
    }
    for i, bound in enumerate(bounds):
        columns[f"{field}_le_{i}"] = Count("pk", filter=Q(**{f"{field}__lte": timedelta(seconds=bound)}))
    return columns


def observed(row: dict, field: str) -> int:
    return row[f"{field}_count"]


def histogram_value(
    row: dict, field: str, bounds: tuple[float, ...]
) -> tuple[list[tuple[str, float]], float]:
    """``(buckets, sum_value)`` for ``HistogramMetricFamily.add_metric`` from
    one row of :func:`aggregates`."""
    buckets = [(f"{bound:g}", row[f"{field}_le_{i}"]) for i, bound in enumerate(bounds)]
    buckets.append(("+Inf", row[f"{field}_count"]))
    total = row[f"{field}_sum"]
    return buckets, total.total_seconds() if total is not None else 0.0
