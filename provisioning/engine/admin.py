"""Operators' view of sagas: what ran, what failed, and the buttons to act.

Saga, step and event rows are the engine's durable log, so the admin never
edits them: every page is read-only and the only writes are the actions,
each a thin call into an engine service (which owns the rules and the
locking). Who may run actions: staff holding ``provisioning.change_saga``.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.views.decorators.http import require_POST

from provisioning.engine import presentation, services
from provisioning.engine.admin_readonly import ReadOnlyAdminMixin
from provisioning.engine.config import engine_config
from provisioning.engine.errors import SagaOperationRefused
from provisioning.engine.models import Saga, SagaEvent, SagaStatus, SagaStep
from provisioning.engine.transitions import IllegalTransition

# What an engine service raises to refuse an operation (the saga is in the
# wrong state): shown to the operator. Anything else is a bug and surfaces.
REFUSALS = (SagaOperationRefused, IllegalTransition)


class SagaLogInlineMixin(ReadOnlyAdminMixin):
    """Steps and events are part of the saga's page: whoever may view the
    saga sees them, without separate step and event permissions."""

    def has_view_permission(self, request, obj=None):
        user = request.user
        return user.has_perm("provisioning.view_saga") or user.has_perm("provisioning.change_saga")


def step_duration(step: SagaStep) -> str:
    seconds = presentation.step_duration(step, at=timezone.now())
    if seconds is None:
        return "—"
    running = "" if step.finished_at else " (running)"
    # Most steps take milliseconds: tenths of a second would show 0.0.
    return f"{seconds:.3f} s{running}" if seconds < 10 else f"{seconds:.1f} s{running}"


def timestamp(value) -> str:
    """Seconds matter when reading a saga's log; the admin's default format drops them."""
    if value is None:
        return "—"
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S")


def flower_task_link(task_id: str) -> str:
    """The step's Celery task in Flower, or the bare id when Flower's URL is unknown."""
    if not task_id:
        return "—"
    flower_url = engine_config().flower_url
    if not flower_url:
        return task_id
    url = f"{flower_url.rstrip('/')}/task/{task_id}"
    return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, task_id)


class SagaStepInline(SagaLogInlineMixin, admin.TabularInline):
    model = SagaStep
    template = "admin/provisioning/readonly_table.html"
    extra = 0
    can_delete = False
    show_change_link = False
    fields = [
        "index",
        "name",
        "status",
        "phase",
        "attempts",
        "compensation_attempts",
        "started",
        "finished",
        "duration",
        "compensated",
        "last_error",
        "celery_task",
        "compensation_task",
    ]
    readonly_fields = fields

    @admin.display(description="started")
    def started(self, step):
        return timestamp(step.started_at)

    @admin.display(description="finished")
    def finished(self, step):
        return timestamp(step.finished_at)

    @admin.display(description="compensated")
    def compensated(self, step):
        return timestamp(step.compensated_at)

    @admin.display(description="phase")
    def phase(self, step):
        return presentation.step_phase(step)

    @admin.display(description="duration")
    def duration(self, step):
        return step_duration(step)

    @admin.display(description="Celery task")
    def celery_task(self, step):
        return flower_task_link(step.celery_task_id)

    @admin.display(description="compensation task")
    def compensation_task(self, step):
        return flower_task_link(step.compensation_task_id)


class SagaEventInline(SagaLogInlineMixin, admin.TabularInline):
    model = SagaEvent
    template = "admin/provisioning/readonly_table.html"
    extra = 0
    can_delete = False
    fields = ["time", "step_name", "event", "detail"]
    readonly_fields = fields
    verbose_name_plural = "timeline"

    @admin.display(description="at")
    def time(self, event):
        return timestamp(event.at)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("step")

    @admin.display(description="step")
    def step_name(self, event):
        return event.step.name if event.step_id else "—"


@admin.register(Saga)
class SagaAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["short_id", "kind", "subject", "status", "progress", "age", "cancel_requested"]
    list_filter = ["status", "kind", "subject_type"]
    search_fields = ["=id", "=subject_id"]
    date_hierarchy = "created_at"
    fields = [
        "id",
        "kind",
        "version",
        "subject",
        "status",
        "progress",
        "cancel_requested",
        "error",
        "context",
        "created_at",
        "updated_at",
        "finished_at",
    ]
    readonly_fields = fields
    inlines = [SagaStepInline, SagaEventInline]
    change_form_template = "admin/provisioning/saga/change_form.html"
    actions = ["retry_compensation", "resume", "request_cancel"]

    def get_queryset(self, request):
        # The steps of the whole page in one more query: progress reads them
        # from the prefetch cache instead of one COUNT per row.
        return super().get_queryset(request).prefetch_related("steps")

    def has_operate_permission(self, request):
        return request.user.is_staff and request.user.has_perm("provisioning.change_saga")

    @admin.display(description="id", ordering="id")
    def short_id(self, saga):
        return str(saga.id)[:8]

    @admin.display(description="progress")
    def progress(self, saga):
        return presentation.saga_progress_label(saga)

    @admin.display(description="subject")
    def subject(self, saga):
        """What the saga acts on, linked to its own admin page when it has one."""
        if not saga.subject_type:
            return "—"
        label = f"{saga.subject_type.rsplit('.', 1)[-1]} {saga.subject_id}"
        app_label, _, model = saga.subject_type.partition(".")
        try:
            url = reverse(f"admin:{app_label}_{model}_change", args=[saga.subject_id])
        except NoReverseMatch:
            return label
        return format_html('<a href="{}">{}</a>', url, label)

    @admin.display(description="age", ordering="created_at")
    def age(self, saga):
        return timesince(saga.created_at)

    # Operator operations: name -> (engine service, verb for messages, the
    # saga statuses in which the detail page offers it). The service has the
    # last word: it refuses a saga in the wrong state, and the admin says why.
    OPERATIONS = {
        "retry_compensation": (
            "saga_retry_compensation",
            "Retry compensation",
            {SagaStatus.COMPENSATION_FAILED},
        ),
        "resume": (
            "saga_resume",
            "Resume",
            {SagaStatus.PENDING, SagaStatus.RUNNING, SagaStatus.COMPENSATING},
        ),
        "request_cancel": ("saga_request_cancel", "Cancel", {SagaStatus.PENDING, SagaStatus.RUNNING}),
    }

    def _operate(self, request, sagas, operation):
        """Run one operation per saga; one saga's refusal does not stop the others."""
        service_name, verb, _ = self.OPERATIONS[operation]
        service = getattr(services, service_name)
        done = 0
        for saga in sagas:
            try:
                service(saga=saga)
            except REFUSALS as exc:
                link = reverse("admin:provisioning_saga_change", args=[saga.pk])
                self.message_user(
                    request,
                    format_html('<a href="{}">{}</a>: {} refused: {}', link, saga.pk, verb, exc),
                    messages.ERROR,
                )
            else:
                done += 1
        if done:
            self.message_user(request, f"{verb}: {done} saga(s).", messages.SUCCESS)

    @admin.action(description="Retry failed compensations", permissions=["operate"])
    def retry_compensation(self, request, queryset):
        self._operate(request, queryset, "retry_compensation")

    @admin.action(description="Resume stalled sagas", permissions=["operate"])
    def resume(self, request, queryset):
        self._operate(request, queryset, "resume")

    @admin.action(description="Cancel (compensate at the next step)", permissions=["operate"])
    def request_cancel(self, request, queryset):
        self._operate(request, queryset, "request_cancel")

    # The same operations as buttons on a saga's page.
    def get_urls(self):
        operate = path(
            "<path:object_id>/operate/<str:operation>/",
            self.admin_site.admin_view(self.operate_view),
            name="provisioning_saga_operate",
        )
        return [operate, *super().get_urls()]

    @method_decorator(require_POST)
    def operate_view(self, request, object_id, operation):
        saga = self.get_object(request, object_id)
        if saga is None or operation not in self.OPERATIONS:
            raise Http404
        if not self.has_operate_permission(request):
            raise PermissionDenied
        self._operate(request, [saga], operation)
        return redirect("admin:provisioning_saga_change", saga.pk)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        saga = self.get_object(request, object_id)
        offered = []
        if saga is not None and self.has_operate_permission(request):
            offered = [
                (name, verb, reverse("admin:provisioning_saga_operate", args=[saga.pk, name]))
                for name, (_, verb, statuses) in self.OPERATIONS.items()
                if saga.status in statuses
            ]
        extra_context = {**(extra_context or {}), "saga_operations": offered}
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(SagaStep)
class SagaStepAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Steps across sagas, e.g. every ``compensation_failed`` step right now."""

    list_display = ["saga", "index", "name", "status", "attempts", "compensation_attempts", "started_at"]
    list_filter = ["status", "name"]
    list_select_related = ["saga"]


@admin.register(SagaEvent)
class SagaEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "saga", "step", "event"]
    list_filter = ["event"]
    list_select_related = ["saga", "step"]
