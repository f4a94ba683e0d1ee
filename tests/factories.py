"""factory-boy factories for every model."""

import factory
from django.conf import settings
from django.contrib.auth import get_user_model

from deployments.models import Deployment, Tenant, TenantMembership
from inventory.models import CloudResource
from provisioning.engine import Saga, SagaEvent, SagaStep


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"tenant{n}")
    name = factory.LazyAttribute(lambda o: o.slug.title())


class UserFactory(factory.django.DjangoModelFactory):
    """A user; pass ``tenant=`` to make it a member of that tenant."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.test")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def tenant(obj, create, extracted, **kwargs):
        if create and extracted is not None:
            TenantMembership.objects.get_or_create(user=obj, tenant=extracted)


class TenantMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TenantMembership

    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)


class DeploymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deployment

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"web{n}")
    dns_name = factory.LazyAttribute(lambda o: f"{o.name}.{o.tenant.slug}")
    hostname = factory.LazyAttribute(lambda o: f"{o.dns_name}.{settings.ARCADIA_DNS_DOMAIN}")
    region = "nyc3"
    size = "s-1vcpu-1gb"
    image = "ubuntu-24-04-x64"


class CloudResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CloudResource

    external_id = factory.Sequence(lambda n: str(100000 + n))
    name = factory.Sequence(lambda n: f"droplet{n}")
    region = "nyc3"
    size = "s-1vcpu-1gb"
    ipv4 = factory.Sequence(lambda n: f"203.0.113.{n % 250 + 1}")


class SagaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Saga

    kind = "test"

    class Params:
        # A saga of a deployment: the engine names it as its subject.
        deployment = None

    subject_type = factory.LazyAttribute(lambda o: "deployments.deployment" if o.deployment else "")
    subject_id = factory.LazyAttribute(lambda o: str(o.deployment.pk) if o.deployment else "")
    subject_public_id = factory.LazyAttribute(lambda o: str(o.deployment.public_id) if o.deployment else "")


class SagaStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SagaStep

    saga = factory.SubFactory(SagaFactory)
    index = factory.Sequence(lambda n: n)
    name = factory.LazyAttribute(lambda o: f"step{o.index}")


class SagaEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SagaEvent

    saga = factory.SubFactory(SagaFactory)
    event = "step_succeeded"
