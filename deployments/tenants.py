"""Creating tenants and their users (``manage.py create_tenant_user``, the demo)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from rest_framework.authtoken.models import Token

from deployments.models import Tenant, TenantMembership
from deployments.naming import check_tenant_slug


@transaction.atomic
def tenant_user_create(
    *, tenant_slug: str, username: str, tenant_name: str = ""
) -> tuple[Tenant, object, str]:
    """Create (or reuse) the tenant, the user and its membership; return the
    user's API token. Safe to run twice."""
    check_tenant_slug(tenant_slug)
    tenant, _ = Tenant.objects.get_or_create(slug=tenant_slug, defaults={"name": tenant_name or tenant_slug})
    user, _ = get_user_model().objects.get_or_create(username=username)
    TenantMembership.objects.get_or_create(tenant=tenant, user=user)
    token, _ = Token.objects.get_or_create(user=user)
    return tenant, user, token.key
