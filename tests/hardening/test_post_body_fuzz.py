"""Hypothesis over the POST /api/deployments/ body: nesting, sizes, unicode,
wrong types, and bodies one field away from valid. Whatever comes, the
answer is never a 5xx, and a 4xx creates nothing: no Deployment, no Saga
(issue 22, Tests). Fixed seed, a bounded number of examples."""

import json

import hypothesis
import pytest
from hypothesis import HealthCheck
from hypothesis import strategies as st

from deployments.models import Deployment
from provisioning.engine import Saga
from tests import factories
from tests.support.clients import token_client

pytestmark = pytest.mark.django_db

SEED = 20261203
EXAMPLES = 300

VALID = {
    "name": "web",
    "region": "nyc3",
    "size": "s-1vcpu-1gb",
    "image": "ubuntu-24-04-x64",
    "provision": False,
}
FIELDS = [*VALID, "tenant"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=80),
    # Sizes: long strings, and the few characters that matter to a DNS label.
    st.text(alphabet="az09-.\n\t \x00é\u0131\u200bxn", min_size=0, max_size=300),
    st.sampled_from(["yes", "true", "1", "web\n", " web", "xn--web", "ab--c", "WEB", "web" * 30]),
)
# Nesting: lists and objects inside each other, a few levels deep.
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
# Values each field accepts, so that many bodies are valid and reach the
# services (hostnames taken, the DNS look-up, idempotency replays).
good_values = {
    "name": st.one_of(st.sampled_from(["web", "mail"]), st.from_regex(r"\A[a-z][a-z0-9-]{0,8}[a-z0-9]\Z")),
    "region": st.sampled_from(["nyc3", "ams3", "sfo3"]),
    "size": st.sampled_from(["s-1vcpu-1gb", "s-2vcpu-2gb"]),
    "image": st.sampled_from(["ubuntu-24-04-x64", "debian-12-x64"]),
    "provision": st.booleans(),
    "tenant": st.sampled_from(["fuzz", "other"]),
}
valid = st.fixed_dictionaries({k: v for k, v in good_values.items() if k != "tenant"})
# A valid body with one to three fields changed to anything (or dropped), so
# the fuzz reaches the validators and services, not only the parser.
near_valid = st.builds(
    lambda body, changes, dropped: {k: v for k, v in {**body, **changes}.items() if k not in dropped},
    valid,
    st.dictionaries(st.sampled_from(FIELDS), json_values, min_size=1, max_size=3),
    st.sets(st.sampled_from(FIELDS), max_size=2),
)
bodies = st.one_of(
    valid,
    near_valid,
    json_values,
    st.dictionaries(st.one_of(st.sampled_from(FIELDS), st.text(max_size=20)), json_values, max_size=8),
)


@pytest.fixture
def client(db, dosim):
    # dosim: a body valid enough to provision asks the simulator for its DNS
    # record; mail's is someone else's (a 409 that must create nothing).
    dosim.add_record("arcadia.test", "mail.fuzz", "198.51.100.9")
    return token_client(factories.UserFactory(tenant=factories.TenantFactory(slug="fuzz")))


@hypothesis.seed(SEED)
@hypothesis.settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@hypothesis.given(body=bodies, keyed=st.booleans())
def test_no_5xx_and_nothing_created_on_a_4xx(client, body, keyed):
    # Each example starts empty (so it replays alike) and POSTs twice: the
    # second is a retry (a replay with the key, a hostname taken without).
    Saga.objects.all().delete()
    Deployment.objects.all().delete()
    headers = {"HTTP_IDEMPOTENCY_KEY": "fuzz-key"} if keyed else {}
    for _ in range(2):
        before = (Deployment.objects.count(), Saga.objects.count())

        response = client.post(
            "/api/deployments/", json.dumps(body), content_type="application/json", **headers
        )

        assert response.status_code < 500, (body, response.content)
        assert response["Content-Type"].startswith("application/json"), response.content
        if 400 <= response.status_code < 500:
            assert (Deployment.objects.count(), Saga.objects.count()) == before, (body, response.content)
