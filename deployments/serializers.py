"""Input and output serializers of the deployments and sagas API.

Inputs validate shape and format only; rules that need the database (a
hostname already taken, the tenant) live in services and selectors.
"""

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from deployments.selectors import deployment_current_saga
from provisioning.models import StepStatus

DNS_LABEL_REGEX = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$"
# DigitalOcean slugs: regions like nyc3, sizes like s-1vcpu-1gb, images like
# ubuntu-24-04-x64 (or a numeric image id).
REGION_REGEX = r"^[a-z]{3}[0-9]$"
SIZE_REGEX = r"^[a-z0-9]+(-[a-z0-9]+)*$"
IMAGE_REGEX = r"^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$"

COMPENSATION_STATUSES = {StepStatus.COMPENSATING, StepStatus.COMPENSATED, StepStatus.COMPENSATION_FAILED}


class StrictCharField(serializers.CharField):
    """A CharField that refuses numbers and booleans instead of coercing them."""

    default_error_messages = {"invalid": "Not a valid string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class DeploymentCreateInputSerializer(serializers.Serializer):
    name = StrictCharField(
        max_length=40,
        validators=[
            RegexValidator(
                DNS_LABEL_REGEX,
                "Lowercase letters, digits and hyphens, not starting or ending with a hyphen.",
            )
        ],
    )
    region = StrictCharField(
        max_length=32, validators=[RegexValidator(REGION_REGEX, "A region slug such as nyc3.")]
    )
    size = StrictCharField(
        max_length=64, validators=[RegexValidator(SIZE_REGEX, "A size slug such as s-1vcpu-1gb.")]
    )
    image = StrictCharField(
        max_length=128, validators=[RegexValidator(IMAGE_REGEX, "An image slug such as ubuntu-24-04-x64.")]
    )
    provision = serializers.BooleanField(default=True)
    tenant = StrictCharField(
        required=False,
        max_length=50,
        help_text="Tenant slug; required when you belong to several tenants (or are staff).",
    )


class SagaStepOutputSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.CharField()
    phase = serializers.SerializerMethodField(help_text="forward, or compensation once it is being undone")
    attempts = serializers.IntegerField()
    compensation_attempts = serializers.IntegerField()
    # Null until the step starts / finishes / is undone.
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    compensated_at = serializers.DateTimeField(allow_null=True)
    duration = serializers.SerializerMethodField(help_text="seconds from start to finish")
    last_error = serializers.CharField()

    def get_phase(self, step) -> str:
        return "compensation" if step.status in COMPENSATION_STATUSES else "forward"

    def get_duration(self, step) -> float | None:
        if step.started_at is None or step.finished_at is None:
            return None
        return round((step.finished_at - step.started_at).total_seconds(), 3)


def saga_progress_of(saga) -> tuple[int, int]:
    """(succeeded steps, all steps), from the prefetched steps: no query."""
    steps = list(saga.steps.all())
    return sum(step.status == StepStatus.SUCCEEDED for step in steps), len(steps)


class SagaOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    version = serializers.IntegerField()
    deployment = serializers.IntegerField(source="deployment_id", allow_null=True)
    status = serializers.CharField()
    progress = serializers.SerializerMethodField(help_text="k/n: steps succeeded out of all steps")
    cancel_requested = serializers.BooleanField()
    error = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)  # null while the saga runs
    steps = SagaStepOutputSerializer(many=True)

    def get_progress(self, saga) -> str:
        done, total = saga_progress_of(saga)
        return f"{done}/{total}"


class SagaEventOutputSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    event = serializers.CharField()
    step = serializers.SerializerMethodField()
    detail = serializers.JSONField()

    def get_step(self, event) -> str | None:
        return event.step.name if event.step_id else None


class SagaDetailOutputSerializer(SagaOutputSerializer):
    events = SagaEventOutputSerializer(many=True)


class DeploymentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    tenant = serializers.CharField(source="tenant.slug")
    name = serializers.CharField()
    hostname = serializers.CharField()
    region = serializers.CharField()
    size = serializers.CharField()
    image = serializers.CharField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    saga = serializers.SerializerMethodField(help_text="the current (newest) saga with its steps")

    @extend_schema_field(SagaOutputSerializer(allow_null=True))
    def get_saga(self, deployment):
        saga = deployment_current_saga(deployment)
        return None if saga is None else SagaOutputSerializer(saga, context=self.context).data
