"""Cloud resources in the admin, read-only, and reconcile findings with
their operator actions.

Rows are written by the provisioning sagas and kept forever (a destroyed
droplet keeps its row for audit and billing), so the admin only lists them.
"""

from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from inventory.findings import (
    FindingActionRefused,
    finding_adopt,
    finding_destroy_orphan,
    finding_mark_resolved,
)
from inventory.gateway import GatewayError
from inventory.models import CloudResource, ReconcileFinding
from provisioning.engine import ReadOnlyAdminMixin, operate_each

# The saga admin, by URL name: its page is the engine's, not part of its facade.
SAGA_CHANGE_URL = "admin:provisioning_saga_change"


@admin.register(CloudResource)
class CloudResourceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "external_id",
        "provider",
        "kind",
        "name",
        "status",
        "ipv4",
        "tenant",
        "deployment",
        "unlinked_at",
        "destroyed_by",
    ]
    list_filter = ["status", "provider", "tenant"]
    search_fields = ["external_id", "name", "ipv4"]
    list_select_related = ["tenant", "deployment"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "provider",
        "kind",
        "external_id",
        "name",
        "region",
        "size",
        "ipv4",
        "status",
        "tenant",
        "deployment",
        "unlinked_at",
        "destroyed_at",
        "destroyed_by",
        "created_at",
        "updated_at",
    ]
    fields = readonly_fields

    @admin.display(description="destroyed by saga", ordering="destroyed_by_saga_id")
    def destroyed_by(self, resource):
        saga_id = resource.destroyed_by_saga_id
        if saga_id is None:
            return "—"
        try:
            url = reverse(SAGA_CHANGE_URL, args=[saga_id])
        except NoReverseMatch:
            return str(saga_id)[:8]
        return format_html('<a href="{}">{}</a>', url, str(saga_id)[:8])


class FindingStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", "open"), ("resolved", "resolved")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(resolved_at__isnull=True)
        if self.value() == "resolved":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


@admin.register(ReconcileFinding)
class ReconcileFindingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Findings of the reconcile pass. Rows are written by the pass and the
    actions below (services in ``inventory.findings``), never edited by hand."""

    list_display = ["id", "kind", "key", "summary", "first_seen", "last_seen", "seen_count", "resolution"]
    list_filter = [FindingStateFilter, "kind", "resolution"]
    search_fields = ["key", "provider_id", "summary"]
    date_hierarchy = "last_seen"
    readonly_fields = [
        "kind",
        "key",
        "provider",
        "provider_id",
        "summary",
        "expected",
        "found",
        "saga_id",
        "resource",
        "deployment",
        "first_seen",
        "last_seen",
        "seen_count",
        "resolved_at",
        "resolution",
        "actions",
    ]
    fields = readonly_fields
    actions = ["destroy_orphan", "adopt", "mark_resolved"]

    def has_operate_permission(self, request):
        return request.user.is_staff and request.user.has_perm("inventory.change_reconcilefinding")

    def _operate(self, request, queryset, service, verb):
        by = request.user.get_username()
        operate_each(
            self,
            request,
            queryset.order_by("id"),
            lambda finding: service(finding_id=finding.pk, by=by),
            verb=verb,
            noun="finding",
            refusals=(FindingActionRefused, GatewayError),
            label=lambda finding: f"#{finding.pk}",
        )

    @admin.action(description="Destroy orphan droplet", permissions=["operate"])
    def destroy_orphan(self, request, queryset):
        self._operate(request, queryset, finding_destroy_orphan, "Destroy orphan")

    @admin.action(description="Adopt into inventory", permissions=["operate"])
    def adopt(self, request, queryset):
        self._operate(request, queryset, finding_adopt, "Adopt")

    @admin.action(description="Mark resolved", permissions=["operate"])
    def mark_resolved(self, request, queryset):
        self._operate(request, queryset, finding_mark_resolved, "Mark resolved")
