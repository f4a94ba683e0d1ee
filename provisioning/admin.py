from django.contrib import admin

from provisioning.models import Saga, SagaEvent, SagaStep


@admin.register(Saga)
class SagaAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "deployment", "status", "created_at", "updated_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["deployment"]


@admin.register(SagaStep)
class SagaStepAdmin(admin.ModelAdmin):
    list_display = ["saga", "index", "name", "status", "attempts", "compensation_attempts"]
    list_filter = ["status", "name"]


@admin.register(SagaEvent)
class SagaEventAdmin(admin.ModelAdmin):
    list_display = ["at", "saga", "step", "event"]
    list_filter = ["event"]
