"""``saga_start`` owns its first send: when the broker refuses the first
message after the rows committed, the caller gets its saga (nothing raised),
and the sweeper sends the message once the broker answers again."""

import pytest

from arcadia.celery import app
from provisioning.engine import SagaStatus, saga_start, sweep_stalled_sagas
from tests.engine.conftest import fake_trail, wait_terminal
from tests.support.broker_servers import free_port
from tests.support.worker import _switch_broker


class Broker:
    """This process's broker, made to refuse (a port nothing listens on) and to answer again."""

    def __init__(self):
        self.url = app.conf.broker_url

    def refuse(self) -> None:
        _switch_broker(app, f"redis://127.0.0.1:{free_port()}/0")

    def answer(self) -> None:
        _switch_broker(app, self.url)


@pytest.fixture
def broker():
    broker = Broker()
    yield broker
    broker.answer()


def test_a_refused_first_message_leaves_the_saga_to_the_sweeper(
    transactional_db, fake_definition, broker, request, caplog
):
    broker.refuse()
    saga = saga_start(kind="fake_five", context={})  # outside any transaction: committed at once

    saga.refresh_from_db()
    assert saga.status == SagaStatus.PENDING
    assert saga.steps.exclude(status="pending").count() == 0
    assert "its message was not sent" in caplog.text

    broker.answer()
    request.getfixturevalue("worker")
    assert sweep_stalled_sagas(older_than=0) == 1
    saga = wait_terminal(saga)
    assert saga.status == SagaStatus.SUCCEEDED
    assert fake_trail(saga, "fake.execute") == [f"s{i}" for i in range(5)]
