"""Input and output serializers of the deployments API (each deployment's
saga is drawn by the engine's saga serializers).

Inputs validate shape and format only; rules that need the database (a
hostname already taken, the tenant) live in services and selectors.
"""

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils import html

from deployments.naming import DEPLOYMENT_NAME_MAX, DNS_LABEL_PATTERN, TENANT_SLUG_COLUMN_MAX
from deployments.selectors import deployment_current_saga
from provisioning.engine import SagaOutputSerializer, SagaSummaryOutputSerializer

# DigitalOcean slugs: regions like nyc3, sizes like s-1vcpu-1gb, images like
# ubuntu-24-04-x64 (or a numeric image id).
REGION_REGEX = r"^[a-z]{3}[0-9]$"
SIZE_REGEX = r"^[a-z0-9]+(-[a-z0-9]+)*$"
IMAGE_REGEX = r"^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$"
# Tenant.slug is a SlugField: the schema says so, and "" is no tenant.
TENANT_SLUG_REGEX = r"^[-a-zA-Z0-9_]+$"


class StrictCharField(serializers.CharField):
    """A CharField that refuses numbers and booleans instead of coercing them,
    and reads a form the way it reads JSON: a field sent empty was sent (DRF
    drops an optional form field sent as "", so ``tenant=`` would pass)."""

    default_error_messages = {"invalid": "Not a valid string."}

    def get_value(self, dictionary):
        if html.is_html_input(dictionary) and self.field_name in dictionary:
            return dictionary[self.field_name]
        return super().get_value(dictionary)

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
        max_length=DEPLOYMENT_NAME_MAX,
        validators=[
            RegexValidator(
                DNS_LABEL_PATTERN,
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
        max_length=TENANT_SLUG_COLUMN_MAX,
        validators=[RegexValidator(TENANT_SLUG_REGEX, "A tenant slug.")],
        help_text="Tenant slug; required when you belong to several tenants (or are staff).",
    )


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
        saga = deployment_current_saga(deployment, summary_events=True)
        return None if saga is None else SagaSummaryOutputSerializer(saga, context=self.context).data
