"""Tenants, memberships and deployments in the admin.

Deployments are read-only here: their status moves only through the
declared transitions driven by sagas and the API, never by a form.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from deployments.models import Deployment, Tenant, TenantMembership
from deployments.selectors import DEPLOYMENT_SUBJECT
from provisioning.engine import ReadOnlyAdminMixin, SagaStatus, sagas_of, subject_newest_saga_status


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "budget_weight", "max_live_deployments", "created_at"]
    search_fields = ["slug", "name"]
    fieldsets = [
        (None, {"fields": ["slug", "name", "budget_weight"]}),
        (
            "Quotas (checked at POST and at provision/)",
            {"fields": ["max_live_deployments", "allowed_regions", "allowed_sizes", "allowed_images"]},
        ),
    ]


@admin.register(TenantMembership)
class TenantMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "tenant", "created_at"]
    list_filter = ["tenant"]
    search_fields = ["user__username", "tenant__slug"]
    list_select_related = ["user", "tenant"]
    autocomplete_fields = ["tenant"]
    raw_id_fields = ["user"]


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
        "sagas",
        "region",
        "size",
        "image",
        "idempotency_key",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        # The newest saga's status as a subquery: one query for the whole
        # page instead of one per row.
        newest = subject_newest_saga_status(subject_type=DEPLOYMENT_SUBJECT)
        return super().get_queryset(request).annotate(current_saga_status=newest)

    @admin.display(description="sagas (newest first)")
    def sagas(self, deployment):
        """Each saga of the deployment, linking to its full log."""
        rows = [
            (
                reverse("admin:provisioning_saga_change", args=[saga.pk]),
                saga.kind,
                saga.status,
                saga.created_at,
            )
            for saga in sagas_of(deployment)
        ]
        if not rows:
            return "—"
        return format_html_join(mark_safe("<br>"), '<a href="{}">{}</a> {} · {}', rows)

    @admin.display(description="current saga", ordering="current_saga_status")
    def current_saga_status(self, deployment):
        if not deployment.current_saga_status:
            return "—"
        # The label, as Django shows the deployment's own status beside it.
        return SagaStatus(deployment.current_saga_status).label
