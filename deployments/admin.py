"""Tenants, memberships and deployments in the admin.

Deployments are read-only here: their status moves only through the
declared transitions driven by sagas and the API, never by a form.
"""

from django.contrib import admin
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils.html import format_html

from arcadia.admin import ReadOnlyAdminMixin
from deployments.models import Deployment, Tenant, TenantMembership
from provisioning.models import Saga, SagaStatus


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "created_at"]
    search_fields = ["slug", "name"]


@admin.register(TenantMembership)
class TenantMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "tenant", "created_at"]
    list_filter = ["tenant"]
    search_fields = ["user__username", "tenant__slug"]
    list_select_related = ["user", "tenant"]
    autocomplete_fields = ["tenant"]
    raw_id_fields = ["user"]


class SagaInline(admin.TabularInline):
    """The deployment's sagas, newest first, each linking to its full log."""

    model = Saga
    extra = 0
    can_delete = False
    fields = ["saga_link", "kind", "status", "created_at", "finished_at"]
    readonly_fields = fields
    ordering = ["-created_at"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="saga")
    def saga_link(self, saga):
        url = reverse("admin:provisioning_saga_change", args=[saga.pk])
        return format_html('<a href="{}">{}</a>', url, saga.pk)


@admin.register(Deployment)
class DeploymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["name", "hostname", "tenant", "status", "current_saga_status", "created_at"]
    list_filter = ["status", "tenant"]
    search_fields = ["name", "hostname"]
    list_select_related = ["tenant"]
    date_hierarchy = "created_at"
    fields = [
        "name",
        "hostname",
        "tenant",
        "status",
        "current_saga_status",
        "region",
        "size",
        "image",
        "idempotency_key",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields
    inlines = [SagaInline]

    def get_queryset(self, request):
        # The newest saga's status as a subquery: one query for the whole
        # page instead of one per row.
        newest_saga = Saga.objects.filter(deployment=OuterRef("pk")).order_by("-created_at")
        return (
            super()
            .get_queryset(request)
            .annotate(current_saga_status=Subquery(newest_saga.values("status")[:1]))
        )

    @admin.display(description="current saga", ordering="current_saga_status")
    def current_saga_status(self, deployment):
        if not deployment.current_saga_status:
            return "—"
        # The label, as Django shows the deployment's own status beside it.
        return SagaStatus(deployment.current_saga_status).label
