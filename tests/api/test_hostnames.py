"""Hostnames are ``<name>.<tenant>.<zone>``: name and tenant slug are each
one DNS label, so no tenant's name can spell another tenant's hostname (with
``<name>-<tenant>``, tenant ``demo``'s ``web-x`` was tenant ``x-demo``'s
``web``, and the 400 told the squatter that it existed)."""

import importlib

import pytest
from django.conf import settings

from arcadia.exceptions import ApplicationError
from deployments import naming, services
from deployments.models import Deployment
from tests import factories

BODY = {"region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64", "provision": False}


@pytest.mark.django_db
def test_tenant_demo_cannot_take_tenant_x_demo_s_web():
    squatter = services.deployment_create(tenant=factories.TenantFactory(slug="demo"), name="web-x", **BODY)
    owner = services.deployment_create(tenant=factories.TenantFactory(slug="x-demo"), name="web", **BODY)

    assert squatter.deployment.hostname == "web-x.demo.arcadia.test"
    assert owner.deployment.hostname == "web.x-demo.arcadia.test"
    assert (squatter.deployment.dns_name, owner.deployment.dns_name) == ("web-x.demo", "web.x-demo")


@pytest.mark.django_db
def test_the_same_name_twice_in_one_tenant_is_still_taken():
    tenant = factories.TenantFactory(slug="acme")
    services.deployment_create(tenant=tenant, name="web", **BODY)
    with pytest.raises(ApplicationError, match="Hostname taken"):
        services.deployment_create(tenant=tenant, name="web", **BODY)


@pytest.mark.django_db
def test_a_hostname_over_253_characters_is_refused_though_every_label_is_valid(settings):
    settings.ARCADIA_DNS_DOMAIN = ".".join(["d" * 60] * 3) + ".test"  # 187 characters, 4 labels
    tenant = factories.TenantFactory(slug="t" * 50)  # a label; Tenant.slug's longest
    name = "a" * 63  # a label of the longest length a label may have
    with pytest.raises(ApplicationError) as caught:
        services.deployment_create(tenant=tenant, name=name, **BODY)
    assert len(f"{name}.{tenant.slug}.{settings.ARCADIA_DNS_DOMAIN}") == 302
    assert "exceeds 253 characters" in str(caught.value.as_data())


@pytest.mark.django_db
def test_a_name_over_63_characters_is_not_a_dns_label():
    tenant = factories.TenantFactory(slug="acme")
    with pytest.raises(ApplicationError) as caught:
        services.deployment_create(tenant=tenant, name="a" * 64, **BODY)
    assert "not a DNS label of at most 63 characters" in str(caught.value.as_data())


@pytest.mark.django_db
def test_migration_keeps_existing_rows_on_their_legacy_record(settings):
    tenant = factories.TenantFactory(slug="acme")
    legacy = Deployment.objects.create(
        tenant=tenant, name="web", hostname=f"web-acme.{settings.ARCADIA_DNS_DOMAIN}", status="active"
    )
    migration = importlib.import_module("deployments.migrations.0003_deployment_dns_name")
    from django.apps import apps

    migration.store_legacy_dns_names(apps, None)

    legacy.refresh_from_db()
    assert (legacy.hostname, legacy.dns_name) == ("web-acme.arcadia.test", "web-acme")
    # Its teardown removes the record it was given, not a new-style one.
    assert services._teardown_context(legacy)["dns_name"] == "web-acme"


def test_zone_is_the_configured_one():
    assert (
        naming.deployment_hostname(name="web", tenant_slug="acme")
        == f"web.acme.{settings.ARCADIA_DNS_DOMAIN}"
    )
