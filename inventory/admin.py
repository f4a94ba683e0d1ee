"""Cloud resources in the admin, read-only.

Rows are written by the provisioning sagas and kept forever (a destroyed
droplet keeps its row for audit and billing), so the admin only lists them.
"""

from django.contrib import admin

from inventory.models import CloudResource
from provisioning.engine.admin_readonly import ReadOnlyAdminMixin


@admin.register(CloudResource)
class CloudResourceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["external_id", "provider", "kind", "name", "status", "ipv4", "tenant", "deployment"]
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
        "created_at",
        "updated_at",
    ]
    fields = readonly_fields
