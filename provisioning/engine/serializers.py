"""Output serializers of the saga API (read-only)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from provisioning.engine.display import presentation
from provisioning.engine.display.summaries import summary_of_saga


class SagaStepOutputSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.CharField()
    phase = serializers.SerializerMethodField(help_text="forward, or compensation once it is being undone")
    attempts = serializers.IntegerField()
    compensation_attempts = serializers.IntegerField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    compensated_at = serializers.DateTimeField(allow_null=True)
    duration = serializers.SerializerMethodField(help_text="seconds from start to finish")
    last_error = serializers.CharField()

    def get_phase(self, step) -> str:
        return presentation.step_phase(step)

    def get_duration(self, step) -> float | None:
        seconds = presentation.step_duration(step)
        return None if seconds is None else round(seconds, 3)


class SagaOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    version = serializers.IntegerField()
    subject_type = serializers.CharField(help_text="what the saga acts on, e.g. deployments.deployment")
    subject_id = serializers.CharField(
        source="subject_public_id", help_text="the subject's id as its own API names it (a deployment's id)"
    )
    status = serializers.CharField()
    progress = serializers.SerializerMethodField(help_text="k/n: steps succeeded out of all steps")
    cancel_requested = serializers.BooleanField()
    error = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    steps = SagaStepOutputSerializer(many=True)

    def get_progress(self, saga) -> str:
        return presentation.saga_progress_label(saga)


class SagaEventOutputSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    event = serializers.CharField()
    step = serializers.SerializerMethodField()
    detail = serializers.JSONField()

    def get_step(self, event) -> str | None:
        return event.step.name if event.step_id else None


class SagaDetailOutputSerializer(SagaOutputSerializer):
    events = SagaEventOutputSerializer(many=True)


class FailedStepOutputSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    name = serializers.CharField()
    error = serializers.CharField()


class SagaSummaryOutputSerializer(serializers.Serializer):
    """A saga in a list: where it stands and where it failed, without its steps
    (the deployment's detail has them)."""

    id = serializers.UUIDField()
    kind = serializers.CharField()
    status = serializers.CharField()
    progress = serializers.SerializerMethodField(help_text="k/n: steps succeeded out of all steps")
    failed_step = serializers.SerializerMethodField(help_text="the step that failed for good, if one did")
    stalled = serializers.SerializerMethodField(help_text="live, but no progress for the stall timeout")
    error = serializers.CharField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_progress(self, saga) -> str:
        return summary_of_saga(saga).progress

    @extend_schema_field(FailedStepOutputSerializer(allow_null=True))
    def get_failed_step(self, saga):
        failed = summary_of_saga(saga).failed_step
        if failed is None:
            return None
        return {"index": failed.index, "name": failed.name, "error": failed.error}

    def get_stalled(self, saga) -> bool:
        return summary_of_saga(saga).stalled
