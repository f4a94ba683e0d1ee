"""The engine knows no deployment: any model (or a type and id of the
caller's choosing) can be a saga's subject, and the database keeps at most
one live saga per subject."""

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from provisioning.engine import Saga, SagaStatus, saga_live_for_subject, saga_start, sagas_of

pytestmark = pytest.mark.django_db


def test_a_user_can_be_a_subject_and_gets_one_live_saga_at_a_time(fake_definition):
    user = get_user_model().objects.create(username="not-a-deployment")
    first = saga_start(kind=fake_definition.kind, context={}, subject=user)

    assert (first.subject_type, first.subject_id) == ("auth.user", str(user.pk))
    with pytest.raises(IntegrityError), transaction.atomic():
        saga_start(kind=fake_definition.kind, context={}, subject=user)

    Saga.objects.filter(pk=first.pk).update(status=SagaStatus.SUCCEEDED)
    second = saga_start(kind=fake_definition.kind, context={}, subject=user)
    assert saga_live_for_subject(user) == second
    assert list(sagas_of(user)) == [second, first]


def test_a_subject_named_by_type_and_id_is_kept_apart_from_others(fake_definition):
    saga_start(kind=fake_definition.kind, context={}, subject=("billing.invoice", "inv-1"))
    other = saga_start(kind=fake_definition.kind, context={}, subject=("billing.invoice", "inv-2"))

    with pytest.raises(IntegrityError), transaction.atomic():
        saga_start(kind=fake_definition.kind, context={}, subject=("billing.invoice", "inv-2"))
    assert saga_live_for_subject(("billing.invoice", "inv-2")) == other


def test_sagas_without_a_subject_are_not_limited(fake_definition):
    for _ in range(3):
        saga_start(kind=fake_definition.kind, context={})
    assert Saga.objects.filter(subject_id="").count() == 3
