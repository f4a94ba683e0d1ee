"""Deployment status changes, reached by dotted path.

The dependency order is ``deployments → provisioning → inventory``: the
deployments app starts sagas, so provisioning must not import it back.
Steps that move a deployment resolve its services here, at call time, by
name, and an illegal transition becomes a permanent step failure.
"""

from django.core.exceptions import ObjectDoesNotExist
from django.utils.module_loading import import_string

from arcadia.transitions import IllegalTransition
from provisioning.protocol import PermanentError

DEPLOYMENT_SERVICES = "deployments.services"


def deployment_call(service: str, **kwargs):
    """Call ``deployments.services.<service>(**kwargs)``."""
    function = import_string(f"{DEPLOYMENT_SERVICES}.{service}")
    try:
        return function(**kwargs)
    except IllegalTransition as exc:
        raise PermanentError(str(exc)) from exc
    except ObjectDoesNotExist as exc:
        raise PermanentError(f"deployment {kwargs.get('deployment_id')} does not exist") from exc
