"""List and detail cost a constant number of queries, whatever the page size
or the number of steps."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from provisioning.engine import sagas_of
from tests import factories

pytestmark = pytest.mark.django_db


def deployment_with_saga(tenant, steps: int):
    deployment = factories.DeploymentFactory(tenant=tenant)
    # An older, finished saga too: only the newest is shown as current.
    factories.SagaFactory(deployment=deployment, kind="provision_deployment", status="compensated")
    saga = factories.SagaFactory(deployment=deployment, kind="provision_deployment", status="succeeded")
    for index in range(steps):
        factories.SagaStepFactory(saga=saga, index=index, status="succeeded")
        factories.SagaEventFactory(saga=saga)
    factories.CloudResourceFactory(tenant=tenant, deployment=deployment)
    return deployment


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", ["/api/deployments/", "/api/sagas/", "/api/resources/"])
def test_list_queries_do_not_grow_with_rows(client_for, alice, acme, url):
    client = client_for(alice)
    deployment_with_saga(acme, steps=2)
    few = queries(client, url)
    for _ in range(6):
        deployment_with_saga(acme, steps=7)
    assert queries(client, url) == few


def test_deployment_detail_queries_do_not_grow_with_steps(client_for, alice, acme):
    client = client_for(alice)
    small, large = deployment_with_saga(acme, steps=1), deployment_with_saga(acme, steps=12)
    assert queries(client, f"/api/deployments/{small.public_id}/") == queries(
        client, f"/api/deployments/{large.public_id}/"
    )


def test_saga_detail_queries_do_not_grow_with_steps_or_events(client_for, alice, acme):
    client = client_for(alice)
    small, large = deployment_with_saga(acme, steps=1), deployment_with_saga(acme, steps=12)
    small_saga, large_saga = sagas_of(small)[0], sagas_of(large)[0]
    assert queries(client, f"/api/sagas/{small_saga.pk}/") == queries(client, f"/api/sagas/{large_saga.pk}/")


def test_detail_shows_current_saga_with_steps(client_for, alice, acme):
    deployment = deployment_with_saga(acme, steps=3)
    body = client_for(alice).get(f"/api/deployments/{deployment.public_id}/").json()
    saga = body["saga"]
    assert saga["status"] == "succeeded"
    assert saga["progress"] == "3/3"
    assert [step["index"] for step in saga["steps"]] == [0, 1, 2]
    assert {
        "name",
        "status",
        "attempts",
        "started_at",
        "finished_at",
        "duration",
        "last_error",
        "phase",
    } <= set(saga["steps"][0])


def test_detail_reads_no_events_and_no_subquery(client_for, alice, acme):
    # The detail shows steps, not a summary: its events were read for
    # nothing, and the list's newest-per-subject subquery costs more to
    # build than a LIMIT 1 (make bench: GET detail p99 over trivial p99).
    deployment = deployment_with_saga(acme, steps=3)
    client = client_for(alice)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"/api/deployments/{deployment.public_id}/").status_code == 200
    sql = [q["sql"] for q in captured]
    assert not [s for s in sql if "provisioning_sagaevent" in s]
    saga_reads = [s for s in sql if 'FROM "provisioning_saga" ' in s]
    assert len(saga_reads) == 1 and saga_reads[0].count("SELECT") == 1 and "LIMIT 1" in saga_reads[0]
