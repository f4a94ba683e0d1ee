"""The hot path of a forward step on PostgreSQL: one statement to claim,
one to record.

The ORM path in ``runner`` reads the rows, decides, then writes: five
statements and two commits per step transition. Here the common case (the
step is free and the saga runs forward) is a single conditional
``UPDATE ... FROM ... RETURNING`` for the claim and a single statement with
data-modifying CTEs for the record (step succeeded, outputs merged into the
saga context with ``||``, events appended), which PostgreSQL runs as one
atomic statement. Anything unusual (a live lease, a cancel, a finished
step) makes the claim match no row, and the caller falls back to the ORM
path, which says why. Other databases (SQLite in embedded mode) use the ORM
path only.
"""

from __future__ import annotations

import json
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

from provisioning.models import Saga, SagaEvent, SagaStatus, SagaStep, StepStatus
from provisioning.outcomes import Claim

_T, _G = StepStatus, SagaStatus
STEP, SAGA, EVENT = SagaStep._meta.db_table, Saga._meta.db_table, SagaEvent._meta.db_table

CLAIM_SQL = f"""
UPDATE {STEP} AS st
   SET status = %s, attempts = st.attempts + 1, started_at = COALESCE(st.started_at, %s),
       lease_owner = %s, lease_expires_at = %s,
       celery_task_id = CASE WHEN %s = '' THEN st.celery_task_id ELSE %s END
  FROM {SAGA} AS sg
 WHERE sg.id = st.saga_id AND st.saga_id = %s::uuid AND st."index" = %s
   AND st.status IN (%s, %s)
   AND (st.lease_expires_at IS NULL OR st.lease_expires_at <= %s)
   AND sg.status IN (%s, %s) AND NOT sg.cancel_requested
RETURNING st.id, st.name, st.attempts, st.polls, st.compensation_attempts, st.started_at,
          sg.kind, sg.version, sg.status, sg.context
"""

# The saga row is updated while it runs forward, and also while it
# compensates: a step that was running when a cancel or a failure turned
# the saga around still records its outputs, which its compensation needs.
RECORD_SQL = f"""
WITH st AS (
    UPDATE {STEP}
       SET status = %s, finished_at = %s, lease_owner = '', lease_expires_at = NULL,
           last_error = ''
     WHERE id = %s AND status = %s AND lease_owner = %s
 RETURNING id
), sg AS (
    UPDATE {SAGA}
       SET context = context || %s::jsonb, updated_at = %s,
           status = CASE WHEN %s AND status = %s THEN %s ELSE status END,
           finished_at = CASE WHEN %s AND status = %s THEN %s ELSE finished_at END
     WHERE id = %s::uuid AND status IN (%s, %s) AND EXISTS (SELECT 1 FROM st)
 RETURNING status
)
INSERT INTO {EVENT} (saga_id, step_id, event, detail, at)
SELECT %s::uuid, ev.step_id, ev.event, ev.detail::jsonb, ev.at
  FROM st, (VALUES (%s, %s, %s, %s::timestamptz), (%s, %s, %s, %s::timestamptz),
                   (NULL::bigint, %s, '{{}}', %s::timestamptz)) AS ev(step_id, event, detail, at)
 WHERE ev.event <> %s OR EXISTS (SELECT 1 FROM sg WHERE sg.status = %s)
RETURNING id
"""


def available() -> bool:
    return connection.vendor == "postgresql"


def claim(*, saga_id, index: int, owner: str, task_id: str, at: datetime, expires: datetime):
    """Claim a free step of a forward-running saga in one statement.

    Returns the Claim (with the saga's status before the claim as its
    second element), or None when the row did not qualify.
    """
    params = [_T.RUNNING, at, owner, expires, task_id, task_id, str(saga_id), index]
    params += [_T.PENDING, _T.RUNNING, at, _G.PENDING, _G.RUNNING]
    with connection.cursor() as cursor:
        cursor.execute(CLAIM_SQL, params)
        row = cursor.fetchone()
    if row is None:
        return None
    step_id, name, attempts, polls, comp_attempts, started_at, kind, version, status, ctx = row
    return (
        Claim(
            saga_id=saga_id,
            step_id=step_id,
            index=index,
            name=name,
            owner=owner,
            attempts=attempts,
            polls=polls,
            compensation_attempts=comp_attempts,
            started_at=started_at,
            claimed_at=at,
            kind=kind,
            version=version,
            context=json.loads(ctx) if isinstance(ctx, str) else ctx,
        ),
        status,
    )


def record_success(claim: Claim, outputs: dict, *, at: datetime, last: bool) -> bool:
    """Record a step's success in one atomic statement; False when this
    runner no longer held the step (its lease expired and was taken over)."""
    started = json.dumps({"attempt": claim.attempts})
    succeeded = json.dumps({"outputs": sorted(outputs)})
    params = [_T.SUCCEEDED, at, claim.step_id, _T.RUNNING, claim.owner]
    params += [json.dumps(outputs, cls=DjangoJSONEncoder), at]
    params += [last, _G.RUNNING, _G.SUCCEEDED, last, _G.RUNNING, at]
    params += [str(claim.saga_id), _G.RUNNING, _G.COMPENSATING, str(claim.saga_id)]
    params += [claim.step_id, "step_started", started, claim.claimed_at]
    params += [claim.step_id, "step_succeeded", succeeded, at]
    params += ["saga_succeeded", at, "saga_succeeded", _G.SUCCEEDED]
    with connection.cursor() as cursor:
        cursor.execute(RECORD_SQL, params)
        return bool(cursor.fetchall())
