"""A saga engine on Celery and the Django ORM: see README.md beside this file.

What a saga definition needs is importable from here; nothing here touches
the database, so definitions import it freely.
"""

from provisioning.engine.errors import NotReady, PermanentError, StepError, Throttled, TransientError
from provisioning.engine.policies import RetryPolicy
from provisioning.engine.protocol import SagaDefinition, Step, StepContext

__all__ = [
    "NotReady",
    "PermanentError",
    "RetryPolicy",
    "SagaDefinition",
    "Step",
    "StepContext",
    "StepError",
    "Throttled",
    "TransientError",
]
