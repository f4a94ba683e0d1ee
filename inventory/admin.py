from django.contrib import admin

from inventory.models import CloudResource


@admin.register(CloudResource)
class CloudResourceAdmin(admin.ModelAdmin):
    list_display = ["external_id", "provider", "kind", "name", "status", "ipv4", "tenant", "deployment"]
    list_filter = ["status", "provider", "tenant"]
    search_fields = ["external_id", "name"]
    list_select_related = ["tenant", "deployment"]
