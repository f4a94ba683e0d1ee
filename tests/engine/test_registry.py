"""The registry: definitions by dotted path, loaded lazily; a path that does
not load breaks only its own kind, with an error that says why."""

import pytest

from provisioning.engine import SagaDefinition, registry
from tests.support.fake_steps import FakeStep


@pytest.fixture
def fresh_registry(monkeypatch, settings):
    monkeypatch.setattr(registry, "_definitions", {})
    monkeypatch.setattr(registry, "_latest", {})
    monkeypatch.setattr(registry, "_failed", {})
    monkeypatch.setattr(registry, "_loaded", False)
    definitions = ["tests.support.fake_steps.FIVE_STEPS", "tests.support.no_such_module.SAGA"]
    settings.SAGA_ENGINE = {**settings.SAGA_ENGINE, "definitions": definitions}
    return settings


def test_a_path_that_does_not_import_breaks_only_its_kind(fresh_registry):
    assert registry.get_definition("fake_five").kind == "fake_five"

    with pytest.raises(registry.UnknownSagaKind) as raised:
        registry.get_definition("missing_kind")
    assert "tests.support.no_such_module.SAGA" in str(raised.value)
    assert "ModuleNotFoundError" in str(raised.value)


def test_versions_are_kept_apart_and_the_latest_is_the_default(fresh_registry):
    v1 = registry.register(SagaDefinition(kind="versioned", steps=(FakeStep("a"),)))
    v2 = registry.register(SagaDefinition(kind="versioned", steps=(FakeStep("a"), FakeStep("b")), version=2))

    assert registry.get_definition("versioned") is v2
    assert registry.get_definition("versioned", 1) is v1
    with pytest.raises(registry.UnknownSagaKind):
        registry.get_definition("versioned", 3)


def test_every_step_gets_its_named_task(fresh_registry):
    from arcadia.celery import app

    registry.register(SagaDefinition(kind="named", steps=(FakeStep("named_step"),)))
    assert "provisioning.step.named_step" in app.tasks
    assert "provisioning.compensate.named_step" in app.tasks
