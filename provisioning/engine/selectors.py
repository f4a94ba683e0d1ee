"""Reads of the ledger: sagas by subject, and the sagas a user may see.

Who may see which subjects is the client's business: it names its scope in
``SAGA_ENGINE["subject_scope"]`` (see :mod:`hooks`); without one, staff see
every saga and nobody else sees any.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import CharField, F, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Cast

from provisioning.engine import hooks
from provisioning.engine.events import SUMMARY_EVENTS
from provisioning.engine.models import SAGA_LIVE_STATUSES, Saga, SagaEvent, SagaStep, subject_key


def _steps() -> Prefetch:
    return Prefetch("steps", queryset=SagaStep.objects.order_by("index"))


def _summary_events() -> Prefetch:
    """The few events a saga's summary reads (failed step, rollback), as
    ``saga.summary_events``."""
    events = SagaEvent.objects.filter(event__in=SUMMARY_EVENTS).order_by("at", "id")
    return Prefetch("events", queryset=events, to_attr="summary_events")


def with_summary_rows(sagas: QuerySet[Saga]) -> QuerySet[Saga]:
    """``sagas`` with what a summary of each reads, in two more queries
    whatever their number: the steps, and the summary events as
    ``saga.summary_events``."""
    return sagas.prefetch_related(_steps(), _summary_events())


def saga_list(*, user) -> QuerySet[Saga]:
    sagas = Saga.objects.prefetch_related(_steps())
    if user.is_staff:
        return sagas
    scope = hooks.subject_scope()
    if scope is None:
        return sagas.none()
    return sagas.filter(scope(user))


def saga_detail_list(*, user) -> QuerySet[Saga]:
    """As :func:`saga_list`, plus the timeline of events."""
    events = SagaEvent.objects.select_related("step").order_by("at", "id")
    return saga_list(user=user).prefetch_related(Prefetch("events", queryset=events))


def sagas_of(subject) -> QuerySet[Saga]:
    """Every saga of one subject (a model instance or a (type, id) pair), newest first."""
    subject_type, subject_id = subject_key(subject)
    return Saga.objects.filter(subject_type=subject_type, subject_id=subject_id).order_by("-created_at")


def saga_newest_of(subject, *, summary_events: bool = False) -> Saga | None:
    """The newest saga of one subject with its steps (and, for a summary,
    the events it reads): a plain ``LIMIT 1``, cheaper to build than
    :func:`sagas_newest_by_subject`'s subquery."""
    sagas = sagas_of(subject)
    return (with_summary_rows(sagas) if summary_events else sagas.prefetch_related(_steps())).first()


def saga_live_for_subject(subject, *, kind: str | None = None) -> Saga | None:
    sagas = sagas_of(subject).filter(status__in=SAGA_LIVE_STATUSES)
    if kind is not None:
        sagas = sagas.filter(kind=kind)
    return sagas.first()


def sagas_newest_by_subject(*, subject_type: str, subject_ids: Iterable) -> dict[str, Saga]:
    """The newest saga of each subject, with its steps and summary events:
    three queries for any number of subjects."""
    ids = [str(subject_id) for subject_id in subject_ids]
    if not ids:
        return {}
    newest = (
        Saga.objects.filter(subject_type=subject_type, subject_id=OuterRef("subject_id"))
        .order_by("-created_at")
        .values("id")[:1]
    )
    sagas = (
        Saga.objects.filter(subject_type=subject_type, subject_id__in=ids)
        .annotate(newest_id=Subquery(newest))
        .filter(id=F("newest_id"))
    )
    sagas = with_summary_rows(sagas)
    return {saga.subject_id: saga for saga in sagas}


def subject_newest_saga_status(*, subject_type: str) -> Subquery:
    """A subquery annotating a client queryset with each row's newest saga status."""
    newest = Saga.objects.filter(subject_type=subject_type, subject_id=as_subject_id(OuterRef("pk")))
    return Subquery(newest.order_by("-created_at").values("status")[:1])


def as_subject_id(expression) -> Cast:
    """A client's primary key as the engine stores it (text), for joins and subqueries."""
    return Cast(expression, output_field=CharField())
