"""A saga engine on Celery and the Django ORM: its one public surface (see
README.md beside this file).

Clients import what they use from here, never from the engine's modules
(import-linter checks it). The step protocol, the errors, the policies and
the status-machine types are imported at once: they touch no database, so
saga definitions import them before Django's app registry is ready. The
rest (models, services, selectors, serializers, the embedded worker) is
resolved on first use (PEP 562), for the same reason.
"""

from importlib import import_module

from provisioning.engine.errors import (
    NotReady,
    PermanentError,
    SagaOperationRefused,
    StepError,
    Throttled,
    TransientError,
)
from provisioning.engine.policies import RetryPolicy
from provisioning.engine.protocol import SagaDefinition, Step, StepContext
from provisioning.engine.transitions import IllegalTransition, StatusMachineMixin, Transitions

# Name -> the engine module that defines it, imported when first asked for.
_LAZY = {
    **dict.fromkeys(
        (
            "Saga",
            "SagaEvent",
            "SagaStatus",
            "SagaStep",
            "StepStatus",
            "SAGA_LIVE_STATUSES",
            "SAGA_TERMINAL_STATUSES",
        ),
        "provisioning.engine.models",
    ),
    **dict.fromkeys(
        ("saga_start", "saga_request_cancel", "saga_resume", "saga_retry_compensation"),
        "provisioning.engine.services",
    ),
    **dict.fromkeys(
        (
            "as_subject_id",
            "saga_live_for_subject",
            "saga_newest_of",
            "sagas_newest_by_subject",
            "sagas_of",
            "subject_newest_saga_status",
        ),
        "provisioning.engine.selectors",
    ),
    "SagaEventName": "provisioning.engine.events",
    "sweep_stalled_sagas": "provisioning.engine.sweeper",
    **dict.fromkeys(("tracing_flush", "tracing_instrument_django"), "provisioning.engine.tracing"),
    "embedded_worker": "provisioning.engine.embedded",
    "SagaOutputSerializer": "provisioning.engine.serializers",
    "SagaSummaryOutputSerializer": "provisioning.engine.serializers",
    "ReadOnlyAdminMixin": "provisioning.engine.display.admin_readonly",
    "operate_each": "provisioning.engine.display.bulk_actions",
}

__all__ = [
    "IllegalTransition",
    "NotReady",
    "PermanentError",
    "RetryPolicy",
    "SagaDefinition",
    "SagaOperationRefused",
    "StatusMachineMixin",
    "Step",
    "StepContext",
    "StepError",
    "Throttled",
    "TransientError",
    "Transitions",
    *_LAZY,
]


def __getattr__(name: str):
    # An AttributeError for anything else lets ``from provisioning.engine
    # import registry`` (the engine's own modules, tests) import the submodule.
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(__all__)
