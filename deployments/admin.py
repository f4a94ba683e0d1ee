from django.contrib import admin

from deployments.models import Deployment, Tenant, TenantMembership


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "created_at"]
    search_fields = ["slug", "name"]


@admin.register(TenantMembership)
class TenantMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "tenant", "created_at"]
    list_select_related = ["user", "tenant"]


@admin.register(Deployment)
class DeploymentAdmin(admin.ModelAdmin):
    list_display = ["name", "hostname", "tenant", "status", "created_at"]
    list_filter = ["status", "tenant"]
    search_fields = ["name", "hostname"]
    list_select_related = ["tenant"]
