"""Sagas as the ledger holds them, made directly: for tests of what the
engine does with rows whose message never left (the process died between
commit and enqueue)."""

from tests import factories
from tests.support.fake_steps import FIVE_STEPS

FIVE_NAMES = [step.name for step in FIVE_STEPS.steps]


def unsent_saga(kind="fake_five", context=None, names=FIVE_NAMES, **saga_fields):
    """A saga and its steps as ``saga_start`` writes them; no message sent."""
    saga = factories.SagaFactory(kind=kind, context=context or {}, **saga_fields)
    for index, name in enumerate(names):
        factories.SagaStepFactory(saga=saga, index=index, name=name)
    return saga
