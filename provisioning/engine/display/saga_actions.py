"""The operator's actions on a saga (admin list actions and the saga page's
buttons): which engine service each calls, its verb, and when it is offered.

The service has the last word: it refuses a saga in the wrong state, and
the admin says why (``REFUSALS``).
"""

from __future__ import annotations

from dataclasses import dataclass

from provisioning.engine import services
from provisioning.engine.errors import SagaOperationRefused
from provisioning.engine.models import SagaStatus
from provisioning.engine.transitions import IllegalTransition

# What an engine service raises to refuse an operation (the saga is in the
# wrong state): shown to the operator. Anything else is a bug and surfaces.
REFUSALS = (SagaOperationRefused, IllegalTransition)


@dataclass(frozen=True)
class SagaAction:
    service: str  # the name of the engine service it calls
    verb: str  # how messages and buttons name it
    offered_in: frozenset[str]  # the saga statuses whose page offers it

    def run(self, saga):
        return getattr(services, self.service)(saga=saga)


SAGA_ACTIONS = {
    "retry_compensation": SagaAction(
        "saga_retry_compensation", "Retry compensation", frozenset({SagaStatus.COMPENSATION_FAILED})
    ),
    "resume": SagaAction(
        "saga_resume", "Resume", frozenset({SagaStatus.PENDING, SagaStatus.RUNNING, SagaStatus.COMPENSATING})
    ),
    "request_cancel": SagaAction(
        "saga_request_cancel", "Cancel", frozenset({SagaStatus.PENDING, SagaStatus.RUNNING})
    ),
}
