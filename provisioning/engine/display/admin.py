"""Operators' view of sagas: what ran, what failed, and the buttons to act.

Saga, step and event rows are the engine's durable log, so the admin never
edits them: every page is read-only and the only writes are the actions,
each a thin call into an engine service (which owns the rules and the
locking). Who may run actions: staff holding ``provisioning.change_saga``.
"""

import json

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from provisioning.engine.display import presentation
from provisioning.engine.display.admin_readonly import ReadOnlyAdminMixin
from provisioning.engine.display.bulk_actions import operate_each
from provisioning.engine.display.operations_page import operations_context
from provisioning.engine.display.saga_actions import REFUSALS, SAGA_ACTIONS
from provisioning.engine.display.saga_page import (
    event_detail,
    saga_page_context,
    status_pill,
    subject_label,
    timestamp_ms,
    trace_link,
)
from provisioning.engine.display.saga_summary import brief_error, format_age, format_seconds
from provisioning.engine.display.summaries import summary_of_saga
from provisioning.engine.models import Saga, SagaEvent, SagaStep
from provisioning.engine.selectors import with_summary_rows


class SagaLogInlineMixin(ReadOnlyAdminMixin):
    """Events are part of the saga's page: whoever may view the saga sees
    them, without separate event permissions."""

    def has_view_permission(self, request, obj=None):
        user = request.user
        return user.has_perm("provisioning.view_saga") or user.has_perm("provisioning.change_saga")


class SagaEventInline(SagaLogInlineMixin, admin.TabularInline):
    model = SagaEvent
    template = "admin/provisioning/readonly_table.html"
    extra = 0
    can_delete = False
    fields = ["time", "step_name", "event", "details"]
    readonly_fields = fields
    verbose_name_plural = "events"

    @admin.display(description="at")
    def time(self, event):
        return timestamp_ms(event.at)

    @admin.display(description="detail")
    def details(self, event):
        return event_detail(event.detail)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("step")

    @admin.display(description="step")
    def step_name(self, event):
        return event.step.name if event.step_id else "—"


@admin.register(Saga)
class SagaAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "short_id",
        "subject",
        "coloured_status",
        "progress",
        "failed_step",
        "short_error",
        "duration",
    ]
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
        "pretty_context",
        "trace",
        "created",
        "updated",
        "finished",
    ]
    readonly_fields = fields
    # The steps are drawn by the page template from saga_page (timeline and
    # steps table); the events follow as a read-only table.
    inlines = [SagaEventInline]
    change_form_template = "admin/provisioning/saga/change_form.html"

    class Media:
        css = {"all": ["provisioning/saga.css"]}

    actions = ["retry_compensation", "resume", "request_cancel"]

    def get_queryset(self, request):
        # The steps of the whole page in one more query, and the few events a
        # summary needs in another: the columns read them from the prefetch
        # cache instead of querying per row.
        return with_summary_rows(super().get_queryset(request))

    @admin.display(description="status", ordering="status")
    def coloured_status(self, saga):
        summary = summary_of_saga(saga)
        return status_pill("stalled") if summary.stalled else status_pill(saga.status)

    @admin.display(description="failed step")
    def failed_step(self, saga):
        failed = summary_of_saga(saga).failed_step
        return f"{failed.position} {failed.name}" if failed else "—"

    @admin.display(description="error")
    def short_error(self, saga):
        summary = summary_of_saga(saga)
        if not summary.brief_error:
            return "—"
        return format_html('<span title="{}">{}</span>', saga.error, brief_error(summary.brief_error, 60))

    @admin.display(description="took", ordering="created_at")
    def duration(self, saga):
        # The age under the duration: one column less for a list that must fit 1280 px.
        seconds = summary_of_saga(saga).seconds
        running = "" if saga.finished_at else " so far"
        age = f"{format_age((timezone.now() - saga.created_at).total_seconds())} ago"
        return format_html('{}{}<span class="saga-kind">{}</span>', format_seconds(seconds), running, age)

    @admin.display(description="created at")
    def created(self, saga):
        return timestamp_ms(saga.created_at)

    @admin.display(description="updated at")
    def updated(self, saga):
        return timestamp_ms(saga.updated_at)

    @admin.display(description="finished at")
    def finished(self, saga):
        return timestamp_ms(saga.finished_at)

    @admin.display(description="trace")
    def trace(self, saga):
        return trace_link(saga.context)

    @admin.display(description="context")
    def pretty_context(self, saga):
        text = json.dumps(saga.context, indent=2)
        return format_html("<pre style='margin:0;white-space:pre-wrap'>{}</pre>", text)

    def has_operate_permission(self, request):
        return request.user.is_staff and request.user.has_perm("provisioning.change_saga")

    @admin.display(description="saga", ordering="id")
    def short_id(self, saga):
        # The kind under the id: one column less for a list that must fit 1280 px.
        kind = saga.kind.replace("_", " ")  # spaces let it wrap
        return format_html('{}<span class="saga-kind">{}</span>', str(saga.id)[:8], kind)

    @admin.display(description="done")
    def progress(self, saga):
        return presentation.saga_progress_label(saga)

    @admin.display(description="subject")
    def subject(self, saga):
        return subject_label(saga)

    def _operate(self, request, sagas, operation):
        """Run one operation per saga; one saga's refusal does not stop the others."""
        action = SAGA_ACTIONS[operation]

        def link(saga):
            return format_html(
                '<a href="{}">{}</a>', reverse("admin:provisioning_saga_change", args=[saga.pk]), saga.pk
            )

        operate_each(
            self, request, sagas, action.run, verb=action.verb, noun="saga", refusals=REFUSALS, label=link
        )

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
        operations = path(
            "operations/",
            self.admin_site.admin_view(self.operations_view),
            name="provisioning_operations",
        )
        operate = path(
            "<path:object_id>/operate/<str:operation>/",
            self.admin_site.admin_view(self.operate_view),
            name="provisioning_saga_operate",
        )
        return [operations, operate, *super().get_urls()]

    def operations_view(self, request):
        """What needs an operator now (see provisioning.engine.display.operations_page)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            **operations_context(),
            "title": "Operations",
            "opts": self.model._meta,
            "can_operate": self.has_operate_permission(request),
        }
        return TemplateResponse(request, "admin/provisioning/operations.html", context)

    @method_decorator(require_POST)
    def operate_view(self, request, object_id, operation):
        saga = self.get_object(request, object_id)
        if saga is None or operation not in SAGA_ACTIONS:
            raise Http404
        if not self.has_operate_permission(request):
            raise PermissionDenied
        self._operate(request, [saga], operation)
        # The operations page sends its buttons back to itself.
        back = request.POST.get("next", "")
        if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            return redirect(back)
        return redirect("admin:provisioning_saga_change", saga.pk)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        saga = self.get_object(request, object_id)
        offered = []
        if saga is not None and self.has_operate_permission(request):
            offered = [
                (name, action.verb, reverse("admin:provisioning_saga_operate", args=[saga.pk, name]))
                for name, action in SAGA_ACTIONS.items()
                if saga.status in action.offered_in
            ]
        page = {}
        if saga is not None:
            steps = list(saga.steps.all())
            events = list(saga.events.all())
            page = saga_page_context(saga, steps, events, now=timezone.now())
        extra_context = {**(extra_context or {}), **page, "saga_operations": offered}
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
