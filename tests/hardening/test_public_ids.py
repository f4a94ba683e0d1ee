"""Ids the API shows count nothing (issue 22, item 12).

Primary keys are global sequences: a tenant that saw its deployment 41
yesterday and 57 today knew sixteen had been made by others in between. The
API names deployments and resources by a random UUID (``public_id``) and
sagas by their (random) UUID key; the old integer URLs are the API's JSON 404.
"""

import re
import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from arcadia.public_ids import PUBLIC_ID_REGEX
from deployments.models import Deployment, DeploymentStatus
from deployments.services import deployment_provision_context
from provisioning.engine import saga_start
from tests import factories
from tests.support.bodies import PENDING
from tests.support.clients import token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme():
    return factories.TenantFactory(slug="acme")


@pytest.fixture
def alice(acme):
    return token_client(factories.UserFactory(username="alice", tenant=acme))


@pytest.fixture
def bob():
    return token_client(factories.UserFactory(username="bob", tenant=factories.TenantFactory(slug="globex")))


def _create(client, name: str) -> dict:
    response = client.post("/api/deployments/", {**PENDING, "name": name}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_consecutive_deployments_ids_reveal_no_count(alice):
    made = [_create(alice, f"web{i}") for i in range(10)]
    ids = [body["id"] for body in made]
    assert all(re.fullmatch(PUBLIC_ID_REGEX, i) and uuid.UUID(i).version == 4 for i in ids)
    # Random, so not in creation order: ten in order by chance is 1 in 10!.
    assert sorted(ids) != ids and sorted(ids, reverse=True) != ids
    keys = Deployment.objects.filter(public_id__in=ids).values_list("pk", flat=True)
    assert not {str(pk) for pk in keys} & set(ids)
    assert made[0]["id"] in alice.get("/api/deployments/").content.decode()


def test_location_and_detail_use_the_public_id(alice):
    response = alice.post("/api/deployments/", PENDING, format="json")
    body = response.json()
    assert response["Location"] == f"/api/deployments/{body['id']}/"
    assert alice.get(response["Location"]).json()["id"] == body["id"]


def test_old_integer_urls_answer_json_404(alice, acme):
    deployment = Deployment.objects.get(public_id=_create(alice, "web")["id"])
    resource = factories.CloudResourceFactory(tenant=acme, deployment=deployment)
    for url in (f"/api/deployments/{deployment.pk}/", f"/api/resources/{resource.pk}/"):
        response = alice.get(url)
        assert response.status_code == 404, url
        assert response["Content-Type"].startswith("application/json")
    assert alice.post(f"/api/deployments/{deployment.pk}/cancel/").status_code == 404
    assert alice.delete(f"/api/deployments/{deployment.pk}/").status_code == 404
    deployment.refresh_from_db()
    assert deployment.status == DeploymentStatus.PENDING
    assert alice.get(f"/api/resources/{resource.public_id}/").status_code == 200


def test_resources_show_and_filter_by_the_deployment_public_id(alice, acme):
    web, api = (Deployment.objects.get(public_id=_create(alice, n)["id"]) for n in ("web", "api"))
    mine = factories.CloudResourceFactory(tenant=acme, deployment=web)
    factories.CloudResourceFactory(tenant=acme, deployment=api)
    listing = alice.get("/api/resources/", {"deployment": str(web.public_id)}).json()["results"]
    assert [(r["id"], r["deployment"]) for r in listing] == [(str(mine.public_id), str(web.public_id))]
    assert alice.get("/api/resources/", {"deployment": str(web.pk)}).status_code == 400


def test_sagas_name_their_deployment_by_its_public_id(alice):
    deployment = Deployment.objects.get(public_id=_create(alice, "web")["id"])
    context = deployment_provision_context(deployment=deployment)
    saga = saga_start(kind="provision_deployment", context=context, subject=deployment)
    public_id = str(deployment.public_id)
    listing = alice.get("/api/sagas/", {"subject": public_id}).json()["results"]
    assert [(s["id"], s["subject_id"]) for s in listing] == [(str(saga.pk), public_id)]
    assert alice.get("/api/sagas/", {"subject": str(deployment.pk)}).json()["results"] == []
    assert alice.get(f"/api/deployments/{public_id}/").json()["saga"]["subject_id"] == public_id


def test_cross_tenant_public_ids_stay_404(alice, bob, acme):
    deployment = Deployment.objects.get(public_id=_create(alice, "web")["id"])
    resource = factories.CloudResourceFactory(tenant=acme, deployment=deployment)
    saga = factories.SagaFactory(deployment=deployment, kind="provision_deployment", status="compensated")
    for url in (
        f"/api/deployments/{deployment.public_id}/",
        f"/api/resources/{resource.public_id}/",
        f"/api/sagas/{saga.pk}/",
    ):
        assert bob.get(url).status_code == 404, url
    assert bob.post(f"/api/deployments/{deployment.public_id}/cancel/").status_code == 404
    assert bob.get("/api/resources/", {"deployment": str(deployment.public_id)}).json()["results"] == []
    assert bob.get("/api/sagas/", {"subject": str(deployment.public_id)}).json()["results"] == []


BEFORE = [
    ("deployments", "0006_tenant_quotas"),
    ("inventory", "0003_reconcile_finding"),
    ("provisioning", "0007_fleet_liveness"),
]


@pytest.mark.django_db(transaction=True)
def test_migration_draws_public_ids_for_existing_rows():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    tenant = old.get_model("deployments", "Tenant").objects.create(name="a", slug="a")
    made = [
        old.get_model("deployments", "Deployment").objects.create(
            tenant=tenant, name=n, hostname=f"{n}.example.com", region="nyc3", size="s", image="i"
        )
        for n in ("web", "api")
    ]
    old.get_model("inventory", "CloudResource").objects.create(external_id="1", name="d", deployment=made[0])
    old.get_model("provisioning", "Saga").objects.create(
        kind="k", subject_type="deployments.deployment", subject_id=str(made[0].pk)
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    from inventory.models import CloudResource
    from provisioning.engine import Saga

    public_ids = list(Deployment.objects.values_list("public_id", flat=True))
    assert len(set(public_ids)) == 2 and None not in public_ids
    assert CloudResource.objects.get().public_id is not None
    web = Deployment.objects.get(name="web")
    assert Saga.objects.get().subject_public_id == str(web.public_id)
