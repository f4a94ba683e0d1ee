"""Input and output serializers of the deployments and sagas API.

Inputs validate shape and format only; rules that need the database (a
hostname already taken, the tenant) live in services and selectors.
"""

from django.conf import settings
from django.core.validators import RegexValidator
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from deployments.selectors import deployment_current_saga
from provisioning.models import StepStatus
from provisioning.saga_summary import saga_summary

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


class CheckboxBooleanField(serializers.BooleanField):
    """A boolean whose default applies when JSON leaves the key out, and whose
    HTML checkbox starts as that default and means what it shows.

    DRF reads an unticked checkbox (which sends nothing) as the field's
    default, and draws the checkbox from ``initial`` (False): with
    ``default=True`` the browsable API's form showed the box unticked and
    submitting it as shown still provisioned. Here the box starts ticked and
    unticking it sends False.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("initial", kwargs.get("default"))
        super().__init__(**kwargs)
        self.default_empty_html = False


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
    provision = CheckboxBooleanField(
        default=True, help_text="Start provisioning at once (202); false creates it pending (201)."
    )
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
    started_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField()
    compensated_at = serializers.DateTimeField()
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
    finished_at = serializers.DateTimeField()
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
    finished_at = serializers.DateTimeField()

    def _summary(self, saga):
        # The steps and the few summary events are prefetched by the selector.
        if getattr(saga, "_api_summary", None) is None:
            saga._api_summary = saga_summary(
                saga,
                list(saga.steps.all()),
                getattr(saga, "summary_events", []),
                now=timezone.now(),
                stall_timeout=settings.ARCADIA_SAGA_STALL_TIMEOUT,
            )
        return saga._api_summary

    def get_progress(self, saga) -> str:
        return self._summary(saga).progress

    @extend_schema_field(FailedStepOutputSerializer(allow_null=True))
    def get_failed_step(self, saga):
        failed = self._summary(saga).failed_step
        if failed is None:
            return None
        return {"index": failed.index, "name": failed.name, "error": failed.error}

    def get_stalled(self, saga) -> bool:
        return self._summary(saga).stalled


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


class DeploymentListOutputSerializer(DeploymentOutputSerializer):
    """The list: each deployment with a summary of its current saga."""

    saga = serializers.SerializerMethodField(help_text="the current (newest) saga, summarized")

    @extend_schema_field(SagaSummaryOutputSerializer(allow_null=True))
    def get_saga(self, deployment):
        saga = deployment_current_saga(deployment)
        return None if saga is None else SagaSummaryOutputSerializer(saga, context=self.context).data
