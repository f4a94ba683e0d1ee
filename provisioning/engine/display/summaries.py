"""A saga's summary, built once per saga object: the admin's list columns
and the API's summary serializer each read several of its fields, and a
list of sagas must not build (or query for) one per field."""

from __future__ import annotations

from django.utils import timezone

from provisioning.engine.display.saga_summary import SagaSummary, saga_summary
from provisioning.engine.events import SUMMARY_EVENTS
from provisioning.engine.settings import engine_settings


def summary_of_saga(saga) -> SagaSummary:
    """The saga's summary, cached on the object. Reads the steps and the
    summary events from ``selectors.with_summary_rows``'s prefetch; a saga
    loaded without it (a change page's own object) queries its events."""
    cached = getattr(saga, "_saga_summary", None)
    if cached is None:
        events = getattr(saga, "summary_events", None)
        if events is None:
            events = list(saga.events.filter(event__in=SUMMARY_EVENTS))
        cached = saga_summary(
            saga,
            list(saga.steps.all()),
            events,
            now=timezone.now(),
            stall_timeout=engine_settings().stall_timeout,
        )
        saga._saga_summary = cached
    return cached
