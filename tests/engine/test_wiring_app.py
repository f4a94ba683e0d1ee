"""Messages leave through the project's Celery app even when another app
was created later in the same process (it becomes Celery's "current" one):
a benchmark's own plain app once swallowed every saga message that way."""

from celery import Celery, current_app

from arcadia.celery import app as project_app
from provisioning.engine import wiring


def test_an_app_created_later_does_not_capture_the_saga_messages():
    other = Celery("someone-else", broker="memory://", set_as_current=True)
    try:
        assert current_app._get_current_object() is other
        assert wiring.app() is project_app
        signature = wiring.forward_chain("00000000-0000-0000-0000-000000000000", ["s0", "s1"])
        assert signature.app is project_app
    finally:
        project_app.set_current()
