"""Creating tenants and their users (``manage.py create_tenant_user``, the demo)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from arcadia.tokens.services import api_token_create
from deployments.models import Tenant, TenantMembership
from deployments.naming import check_tenant_slug


@transaction.atomic
def tenant_user_create(
    *, tenant_slug: str, username: str, tenant_name: str = ""
) -> tuple[Tenant, object, str]:
    """Create (or reuse) the tenant, the user and its membership, and issue
    the user a new API token, returned here and never again (the database
    keeps its digest). Safe to run twice: the second run adds a token."""
    check_tenant_slug(tenant_slug)
    tenant, _ = Tenant.objects.get_or_create(slug=tenant_slug, defaults={"name": tenant_name or tenant_slug})
    user, _ = get_user_model().objects.get_or_create(username=username)
    TenantMembership.objects.get_or_create(tenant=tenant, user=user)
    _, token = api_token_create(user=user)
    return tenant, user, token
