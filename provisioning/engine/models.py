"""Saga rows: the durable log the engine runs from.

Celery messages are only transport; these rows say what has happened. The
engine changes statuses through the tables below (``transition_to`` or a
conditional UPDATE over ``TRANSITIONS.sources_of``), never ad hoc.
"""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from provisioning.engine.transitions import StatusMachineMixin, Transitions


class SagaStatus(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    COMPENSATING = "compensating"
    COMPENSATED = "compensated"
    COMPENSATION_FAILED = "compensation_failed"


_G = SagaStatus

# A saga in one of these needs nothing more from the engine (an operator may
# still retry a compensation_failed one, which makes it live again).
SAGA_TERMINAL_STATUSES = [_G.SUCCEEDED, _G.COMPENSATED, _G.COMPENSATION_FAILED]
SAGA_LIVE_STATUSES = [_G.PENDING, _G.RUNNING, _G.COMPENSATING]


class Saga(StatusMachineMixin, models.Model):
    TRANSITIONS = Transitions(
        {
            _G.PENDING: {_G.RUNNING, _G.COMPENSATING},
            _G.RUNNING: {_G.SUCCEEDED, _G.COMPENSATING},
            _G.COMPENSATING: {_G.COMPENSATED, _G.COMPENSATION_FAILED},
            # An operator's retry of the failed compensations.
            _G.COMPENSATION_FAILED: {_G.COMPENSATING},
            _G.SUCCEEDED: set(),
            _G.COMPENSATED: set(),
        }
    )

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=64)
    # A saga finishes on the definition version it started with.
    version = models.PositiveIntegerField(default=1)
    # What the saga acts on, named generically (a model label and a primary
    # key, e.g. "deployments.deployment" and "42"): the engine knows no
    # client model, and the database keeps one live saga per subject.
    subject_type = models.CharField(max_length=100, blank=True, default="")
    subject_id = models.CharField(max_length=64, blank=True, default="")
    # The subject's id as the HTTP API names it: its ``public_id`` when the
    # model has one (a primary key that counts rows is not shown), else its
    # key. Stored at start so the API reads and filters it without asking
    # the client. The ledger joins on ``subject_id``.
    subject_public_id = models.CharField(max_length=64, blank=True, default="", db_index=True)
    status = models.CharField(max_length=24, choices=SagaStatus.choices, default=_G.PENDING)
    # Inputs given at start plus every step's outputs, merged in step order.
    context = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, default="")
    cancel_requested = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Bumped on every transition of the saga or one of its steps: the
    # sweeper's measure of progress.
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # When the saga's next message is due (now after a step recorded, a
    # poll's countdown, a retry's backoff, a budget wait): the sweeper
    # resumes a saga whose message is overdue by more than a short grace,
    # instead of waiting out the stall timeout. Null: nothing expected.
    due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject_type", "subject_id"],
                condition=Q(status__in=SAGA_LIVE_STATUSES) & ~Q(subject_id=""),
                name="uniq_live_saga_per_subject",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "updated_at"]),
            models.Index(fields=["subject_type", "subject_id", "created_at"]),
            # The sweep's look for overdue sagas: live ones only.
            models.Index(
                fields=["due_at"], condition=Q(status__in=SAGA_LIVE_STATUSES), name="saga_live_due_idx"
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.id}"


def subject_key(subject) -> tuple[str, str]:
    """(type, id) naming a model instance as a saga subject; a (type, id)
    pair passes through."""
    if isinstance(subject, tuple):
        subject_type, subject_id = subject
        return str(subject_type), str(subject_id)
    return subject._meta.label_lower, str(subject.pk)


def subject_public_id(subject) -> str:
    """What the API calls a subject: its ``public_id``, else its key."""
    if isinstance(subject, tuple):
        return str(subject[1])
    return str(getattr(subject, "public_id", subject.pk))


class StepStatus(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    COMPENSATING = "compensating"
    COMPENSATED = "compensated"
    COMPENSATION_FAILED = "compensation_failed"
    SKIPPED = "skipped"


_T = StepStatus


class SagaStep(StatusMachineMixin, models.Model):
    TRANSITIONS = Transitions(
        {
            # pending -> skipped: never started because the saga failed or
            # was cancelled before reaching it.
            _T.PENDING: {_T.RUNNING, _T.SKIPPED},
            # running -> compensating: the run died under an expired lease
            # and the saga is compensating; the step may have half-happened.
            _T.RUNNING: {_T.SUCCEEDED, _T.FAILED, _T.COMPENSATING},
            _T.SUCCEEDED: {_T.COMPENSATING},
            _T.FAILED: {_T.COMPENSATING},
            _T.COMPENSATING: {_T.COMPENSATED, _T.COMPENSATION_FAILED},
            _T.COMPENSATION_FAILED: {_T.COMPENSATING},
            _T.COMPENSATED: set(),
            # skipped -> compensating: a step that owns the saga's failure
            # state is undone even when it never ran (a cancel before it).
            _T.SKIPPED: {_T.COMPENSATING},
        }
    )

    saga = models.ForeignKey(Saga, on_delete=models.CASCADE, related_name="steps")
    index = models.PositiveSmallIntegerField()
    # Stored data: a step's name is never renamed.
    name = models.CharField(max_length=64)
    status = models.CharField(max_length=24, choices=StepStatus.choices, default=_T.PENDING)
    # Every execution counts as an attempt; ``polls`` are the attempts that
    # only found the world not ready yet, so attempts - polls is the number
    # of tries that failed or succeeded (what bounds transient retries).
    attempts = models.PositiveIntegerField(default=0)
    polls = models.PositiveIntegerField(default=0)
    compensation_attempts = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    compensated_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    # The task that ran the step forward, and the one that compensated it:
    # both are linked from the admin (Flower shows each).
    celery_task_id = models.CharField(max_length=64, blank=True, default="")
    compensation_task_id = models.CharField(max_length=64, blank=True, default="")
    # The claim: whoever holds an unexpired lease runs the step; a delivery
    # that finds the lease expired takes the step over.
    lease_owner = models.CharField(max_length=128, blank=True, default="")
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # The fencing token: bumped by every claim, so a record carrying an
    # older generation (a holder cut off while its lease was taken over)
    # is refused.
    lease_generation = models.PositiveBigIntegerField(default=0)
    # Time spent waiting for a shared budget (Throttled): not held against
    # the step's deadline.
    throttled_seconds = models.FloatField(default=0.0)
    # When the current run of transient failures began (None while the step
    # is not failing): transient errors are retried for a time, not a count.
    retrying_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["saga", "index"]
        constraints = [
            models.UniqueConstraint(fields=["saga", "index"], name="uniq_step_saga_index"),
        ]
        indexes = [
            # The steps held now (the sweeper judges their holders): few rows.
            models.Index(
                fields=["lease_expires_at"],
                condition=Q(lease_expires_at__isnull=False),
                name="step_held_lease_idx",
            ),
        ]

    def __str__(self):
        return f"{self.saga_id}#{self.index} {self.name}"


class SagaEvent(models.Model):
    """Append-only timeline of a saga (what CloudFormation calls stack events)."""

    saga = models.ForeignKey(Saga, on_delete=models.CASCADE, related_name="events")
    step = models.ForeignKey(SagaStep, null=True, blank=True, on_delete=models.CASCADE, related_name="events")
    event = models.CharField(max_length=48)
    detail = models.JSONField(default=dict, blank=True)
    # A default rather than auto_now_add: the engine writes a step's
    # "started" event together with its outcome, stamped with the claim time.
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.at:%H:%M:%S} {self.event}"


class WorkerHeartbeat(models.Model):
    """A worker process proving it is alive, one row per process (the
    runner part of a lease's owner: host, pid, start time). In PostgreSQL,
    beside the leases: a claim judges a holder's liveness and takes its
    step in one statement, in one store."""

    runner = models.CharField(max_length=128, primary_key=True)
    beat_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"{self.runner} {self.beat_at:%H:%M:%S}"


class PeriodicRun(models.Model):
    """When a periodic job (the sweep, the reconcile pass) last ran, so that
    every worker may offer to run it and one at a time does."""

    name = models.CharField(max_length=100, primary_key=True)
    last_run_at = models.DateTimeField()

    def __str__(self):
        return f"{self.name} {self.last_run_at:%H:%M:%S}"
