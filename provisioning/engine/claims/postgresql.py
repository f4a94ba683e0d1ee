"""The PostgreSQL path of the claims: one statement to claim a forward step,
one to record its success, one to checkpoint.

The portable path (:mod:`.portable`) reads the rows, decides, then writes.
Here the common case (the step is free, or held by a process whose
heartbeat stopped, and the saga runs forward) is a single conditional
``UPDATE ... FROM ... RETURNING`` for the claim, and a
single statement with data-modifying CTEs for the record (step succeeded,
outputs merged into the saga context with ``||``, events appended), which
PostgreSQL runs atomically. Anything unusual (a live holder's lease, a cancel, a
finished step) makes the claim match no row, and the caller falls back to
the portable path, which says why. Parameters are named.
"""

from __future__ import annotations

import json
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

from provisioning.engine.claims.claim import Claim
from provisioning.engine.events import SagaEventName
from provisioning.engine.models import Saga, SagaEvent, SagaStatus, SagaStep, StepStatus, WorkerHeartbeat

_T, _G, E = StepStatus, SagaStatus, SagaEventName
STEP, SAGA, EVENT = SagaStep._meta.db_table, Saga._meta.db_table, SagaEvent._meta.db_table
BEAT = WorkerHeartbeat._meta.db_table

# The saga's first claim also moves it from pending to running, in the same
# statement. A live lease whose holder's heartbeat is older than
# ``dead_before`` (its process gone, wherever it ran) is taken over here
# too, with its ``lease_taken_over`` event; the runner is the owner string's
# first three fields (``owners.runner_of``). All CTEs read one snapshot, so
# ``held`` names the holder the UPDATE replaced.
CLAIM_SQL = f"""
WITH held AS (
    SELECT id, lease_owner, lease_expires_at FROM {STEP}
     WHERE saga_id = %(saga_id)s::uuid AND "index" = %(index)s
), st AS (
    UPDATE {STEP} AS st
       SET status = %(running)s, attempts = st.attempts + 1,
           started_at = COALESCE(st.started_at, %(at)s),
           lease_owner = %(owner)s, lease_expires_at = %(expires)s,
           lease_generation = st.lease_generation + 1,
           celery_task_id = CASE WHEN %(task_id)s = '' THEN st.celery_task_id ELSE %(task_id)s END
      FROM {SAGA} AS sg
     WHERE sg.id = st.saga_id AND st.saga_id = %(saga_id)s::uuid AND st."index" = %(index)s
       AND st.status IN (%(pending)s, %(running)s)
       AND (st.lease_expires_at IS NULL OR st.lease_expires_at <= %(at)s
            OR EXISTS (SELECT 1 FROM {BEAT} AS hb
                        WHERE hb.runner = array_to_string((string_to_array(st.lease_owner, '|'))[1:3], '|')
                          AND hb.beat_at < %(dead_before)s))
       AND sg.status IN (%(saga_pending)s, %(saga_running)s) AND NOT sg.cancel_requested
    RETURNING st.id, st.name, st.attempts, st.polls, st.compensation_attempts, st.started_at,
              st.throttled_seconds, st.retrying_since, sg.kind, sg.version, sg.status, sg.context,
              sg.created_at, st.lease_generation
), started AS (
    UPDATE {SAGA} SET status = %(saga_running)s, updated_at = %(at)s
     WHERE id = %(saga_id)s::uuid AND status = %(saga_pending)s AND EXISTS (SELECT 1 FROM st)
), taken AS (
    INSERT INTO {EVENT} (saga_id, step_id, event, detail, at)
    SELECT %(saga_id)s::uuid, held.id, %(ev_taken)s, jsonb_build_object('holder', held.lease_owner), %(at)s
      FROM held
     WHERE EXISTS (SELECT 1 FROM st) AND held.lease_owner <> '' AND held.lease_expires_at > %(at)s
)
SELECT * FROM st
"""

# The saga row is updated while it runs forward, and also while it
# compensates: a step that was running when a cancel or a failure turned
# the saga around still records its outputs, which its compensation needs.
RECORD_SQL = f"""
WITH st AS (
    UPDATE {STEP}
       SET status = %(succeeded)s, finished_at = %(at)s, lease_owner = '', lease_expires_at = NULL,
           last_error = '', retrying_since = NULL
     WHERE id = %(step_id)s AND status = %(running)s AND lease_owner = %(owner)s
       AND lease_generation = %(generation)s
 RETURNING id
), sg AS (
    UPDATE {SAGA}
       SET context = context || %(outputs)s::jsonb, updated_at = %(at)s,
           due_at = CASE WHEN %(last)s THEN NULL ELSE %(at)s END,
           status = CASE WHEN %(last)s AND status = %(saga_running)s THEN %(saga_succeeded)s ELSE status END,
           finished_at = CASE WHEN %(last)s AND status = %(saga_running)s THEN %(at)s ELSE finished_at END
     WHERE id = %(saga_id)s::uuid AND status IN (%(saga_running)s, %(saga_compensating)s)
       AND EXISTS (SELECT 1 FROM st)
 RETURNING status
)
INSERT INTO {EVENT} (saga_id, step_id, event, detail, at)
SELECT %(saga_id)s::uuid, ev.step_id, ev.event, ev.detail::jsonb, ev.at
  FROM st, (VALUES (%(step_id)s, %(ev_step_started)s, %(started_detail)s, %(claimed_at)s::timestamptz),
                   (%(step_id)s, %(ev_step_succeeded)s, %(succeeded_detail)s, %(at)s::timestamptz),
                   (NULL::bigint, %(ev_saga_succeeded)s, '{{}}', %(at)s::timestamptz))
       AS ev(step_id, event, detail, at)
 WHERE ev.event <> %(ev_saga_succeeded)s
    OR EXISTS (SELECT 1 FROM sg WHERE sg.status = %(saga_succeeded)s)
RETURNING id
"""

CHECKPOINT_SQL = f"""
UPDATE {SAGA} AS sg
   SET context = sg.context || %(values)s::jsonb, updated_at = %(at)s
 WHERE sg.id = %(saga_id)s::uuid
   AND EXISTS (SELECT 1 FROM {STEP} AS st WHERE st.id = %(step_id)s AND st.lease_owner = %(owner)s
                                           AND st.lease_generation = %(generation)s)
"""


def available() -> bool:
    return connection.vendor == "postgresql"


def claim_forward(
    *, saga_id, index: int, owner: str, task_id: str, at: datetime, expires: datetime, dead_before: datetime
) -> Claim | None:
    """Claim a free step of a forward-running saga in one statement: the
    claim, or None when the step did not qualify (the portable path says why)."""
    params = {
        "running": _T.RUNNING,
        "pending": _T.PENDING,
        "at": at,
        "owner": owner,
        "expires": expires,
        "task_id": task_id,
        "saga_id": str(saga_id),
        "index": index,
        "saga_pending": _G.PENDING,
        "saga_running": _G.RUNNING,
        "dead_before": dead_before,
        "ev_taken": E.LEASE_TAKEN_OVER.value,
    }
    with connection.cursor() as cursor:
        cursor.execute(CLAIM_SQL, params)
        row = cursor.fetchone()
    if row is None:
        return None
    names = ("step_id", "name", "attempts", "polls", "compensation_attempts", "started_at")
    names += ("throttled_seconds", "retrying_since", "kind", "version", "saga_status", "context")
    names += ("saga_created_at", "generation")
    found = dict(zip(names, row, strict=True))
    if isinstance(found["context"], str):
        found["context"] = json.loads(found["context"])
    return Claim(
        saga_id=saga_id,
        step_id=found["step_id"],
        index=index,
        name=found["name"],
        owner=owner,
        attempts=found["attempts"],
        polls=found["polls"],
        compensation_attempts=found["compensation_attempts"],
        started_at=found["started_at"],
        claimed_at=at,
        kind=found["kind"],
        version=found["version"],
        throttled_seconds=found["throttled_seconds"],
        saga_created_at=found["saga_created_at"],
        retrying_since=found["retrying_since"],
        context=found["context"],
        generation=found["generation"],
    )


def record_success(claim: Claim, outputs: dict, *, at: datetime, last: bool) -> bool:
    """Record a step's success in one atomic statement; False when this
    runner no longer held the step (its lease expired and was taken over)."""
    params = {
        "succeeded": _T.SUCCEEDED,
        "running": _T.RUNNING,
        "at": at,
        "step_id": claim.step_id,
        "owner": claim.owner,
        "generation": claim.generation,
        "outputs": json.dumps(outputs, cls=DjangoJSONEncoder),
        "last": last,
        "saga_running": _G.RUNNING,
        "saga_succeeded": _G.SUCCEEDED,
        "saga_compensating": _G.COMPENSATING,
        "saga_id": str(claim.saga_id),
        "started_detail": json.dumps({"attempt": claim.attempts}),
        "succeeded_detail": json.dumps({"outputs": sorted(outputs)}),
        "claimed_at": claim.claimed_at,
        "ev_step_started": E.STEP_STARTED.value,
        "ev_step_succeeded": E.STEP_SUCCEEDED.value,
        "ev_saga_succeeded": E.SAGA_SUCCEEDED.value,
    }
    with connection.cursor() as cursor:
        cursor.execute(RECORD_SQL, params)
        return bool(cursor.fetchall())


def checkpoint(claim: Claim, values: dict, *, at: datetime) -> bool:
    params = {
        "values": json.dumps(values, cls=DjangoJSONEncoder),
        "at": at,
        "saga_id": str(claim.saga_id),
        "step_id": claim.step_id,
        "owner": claim.owner,
        "generation": claim.generation,
    }
    with connection.cursor() as cursor:
        cursor.execute(CHECKPOINT_SQL, params)
        return cursor.rowcount == 1
