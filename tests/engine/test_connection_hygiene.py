"""A worker reuses its database connection across tasks; one task's broken
connection state must not swallow the next tasks' writes."""

from django.db import connection

from arcadia.celery import app
from provisioning.engine import SagaStatus, saga_start
from tests.engine.conftest import wait_terminal


# Registered at import, so before the session worker starts.
@app.task(name="tests.leave_connection_in_manual_commit")
def leave_connection_in_manual_commit():
    """What an atomic block leaves behind when it cannot restore autocommit
    as it exits: a connection in manual-commit mode outside any block."""
    connection.ensure_connection()
    connection.set_autocommit(False)


def test_the_next_task_after_a_connection_left_in_manual_commit_still_commits(worker):
    leave_connection_in_manual_commit.delay()

    # The saga's steps run on the same worker thread after that task;
    # without the reset, their writes would sit in a transaction nobody
    # commits and the saga would never look finished from here.
    saga = wait_terminal(saga_start(kind="fake_five", context={}), timeout=20)

    assert saga.status == SagaStatus.SUCCEEDED
