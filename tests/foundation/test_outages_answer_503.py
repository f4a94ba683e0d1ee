"""Outages answer 503 with a JSON body, never a 500 (nor Django's debug page);
a POST whose saga committed but whose message the broker refused answers 202
and the sweeper sends it later.

The outages are real: the database connection goes to a port nothing
listens on (psycopg2 gets "connection refused"), the broker likewise.
"""

import pytest
import redis

from deployments.models import Deployment, DeploymentStatus
from provisioning.engine import SagaStatus, sagas_of, sweep_stalled_sagas
from tests import factories
from tests.support import worker as worker_support
from tests.support.broker_servers import free_port
from tests.support.clients import token_client
from tests.support.outages import database_unreachable
from tests.support.worker import _switch_broker, empty_broker

BODY = {"name": "web", "region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64"}


@pytest.fixture
def api(transactional_db):
    user = factories.UserFactory(username="alice", tenant=factories.TenantFactory(slug="acme"))
    return token_client(user)


@pytest.fixture
def broker_unreachable(settings):
    from arcadia.celery import app

    previous = app.conf.broker_url
    url = f"redis://127.0.0.1:{free_port()}/0"
    _switch_broker(app, url)
    settings.CELERY_BROKER_URL = url
    yield url
    _switch_broker(app, previous)


def _is_outage(response, service: str) -> None:
    assert response.status_code == 503, response.content[:500]
    assert "json" in response["Content-Type"]
    assert response.json()["unavailable"] == service
    assert response["Retry-After"]
    assert b"Traceback" not in response.content


@pytest.mark.parametrize("debug", [False, True])
def test_api_answers_503_json_while_the_database_is_down(api, settings, debug):
    settings.DEBUG = debug  # not even a development server shows the debug page
    with database_unreachable():
        _is_outage(api.get("/api/deployments/"), "database")
        _is_outage(api.post("/api/deployments/", BODY, format="json"), "database")
        _is_outage(api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json"), "database")


def test_pages_outside_the_api_answer_503_json_while_the_database_is_down(client, transactional_db):
    client.force_login(factories.UserFactory(username="operator", is_staff=True, is_superuser=True))
    with database_unreachable():
        _is_outage(client.get("/admin/"), "database")
        response = client.get("/healthz")
    assert (response.status_code, response.json()) == (503, {"status": "failed"})


def test_post_whose_message_the_broker_refused_answers_202_and_the_sweeper_sends_it(
    api, broker_unreachable, caplog
):
    response = api.post("/api/deployments/", {**BODY, "provision": True}, format="json")

    assert response.status_code == 202, response.content
    assert response.json()["status"] == DeploymentStatus.PROVISIONING
    saga = sagas_of(Deployment.objects.get()).get()
    assert saga.status == SagaStatus.PENDING  # committed, its first message never left
    assert "its message was not sent" in caplog.text
    # With the broker still down the sweeper cannot send it either: it logs
    # and tries again on its next run.
    assert sweep_stalled_sagas(older_than=0) == 0
    # The broker is back (an empty one): the sweeper sends the first message.
    from arcadia.celery import app

    back = worker_support.redis_url_for_tests()
    _switch_broker(app, back)
    empty_broker(app, back)
    assert sweep_stalled_sagas(older_than=0) == 1
    assert redis.Redis.from_url(back).llen(app.conf.task_default_queue) == 1


def test_provisioning_a_pending_deployment_while_the_broker_is_down_answers_202(api, broker_unreachable):
    pending = api.post("/api/deployments/", {**BODY, "provision": False}, format="json")
    assert pending.status_code == 201
    provision = api.post(f"/api/deployments/{pending.json()['id']}/provision/")
    assert provision.status_code == 202, provision.content
    assert api.get("/api/deployments/").status_code == 200
    assert api.get("/healthz").json() == {"status": "failed"}
