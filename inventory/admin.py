"""Cloud resources in the admin, read-only.

Rows are written by the provisioning sagas and kept forever (a destroyed
droplet keeps its row for audit and billing), so the admin only lists them.
"""

from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from inventory.models import CloudResource
from provisioning.engine.admin_readonly import ReadOnlyAdminMixin

# The saga admin, by URL name: inventory does not import provisioning.
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
