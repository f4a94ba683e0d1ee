"""Input and output serializers of the deployments API (each deployment's
saga is drawn by the engine's saga serializers).

Inputs validate shape and format only; rules that need the database (a
hostname already taken, the tenant) live in services and selectors.
"""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils import html

from arcadia.public_ids import PublicIdField
from deployments.naming import (
    DEPLOYMENT_NAME_MAX,
    DNS_LABEL_PATTERN,
    RESERVED_LABEL_RULE,
    TENANT_SLUG_COLUMN_MAX,
    dns_label_problem,
)
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


class FullMatchRegexValidator(RegexValidator):
    """A RegexValidator over the whole value: Django's searches, where ``$``
    also matches before a final newline (``"web\n"`` passed ``^[a-z]+$``).
    Still a RegexValidator, so the schema shows the pattern."""

    def __call__(self, value):
        if not self.regex.fullmatch(str(value)):
            raise ValidationError(self.message, code=self.code, params={"value": value})


class DnsLabelValidator(FullMatchRegexValidator):
    """One DNS label (``deployments.naming``), with the reason it is not one:
    a reserved ``??--`` label (punycode) says so."""

    def __init__(self):
        super().__init__(DNS_LABEL_PATTERN)

    def __call__(self, value):
        if problem := dns_label_problem(str(value)):
            raise ValidationError(problem, code="invalid")


class StrictBooleanField(serializers.BooleanField):
    """JSON ``true`` or ``false`` only. DRF's BooleanField reads ``"yes"``,
    ``"on"``, ``"1"`` and ``1`` as true; a client that sent ``"false"`` as a
    string would have provisioned. An HTML form (the browsable API) has only
    text, so a form's value is still read the usual way."""

    default_error_messages = {"invalid": "Must be a JSON boolean: true or false (not a string or number)."}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        if not html.is_html_input(getattr(self.root, "initial_data", None)):
            self.fail("invalid")
        return super().to_internal_value(data)


class CheckboxBooleanField(StrictBooleanField):
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
        # Taken as sent: "web\n" is refused, not trimmed into "web".
        trim_whitespace=False,
        validators=[DnsLabelValidator()],
        help_text="One DNS label: lowercase letters, digits and inner hyphens, taken as sent (never "
        f"trimmed: surrounding whitespace is a 400). {RESERVED_LABEL_RULE} Punycode is refused.",
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
        default=True,
        help_text="Start provisioning at once (202); false creates it pending (201). A JSON boolean: "
        'a string ("yes", "true") or a number is a 400.',
    )
    tenant = StrictCharField(
        required=False,
        max_length=TENANT_SLUG_COLUMN_MAX,
        trim_whitespace=False,
        validators=[FullMatchRegexValidator(TENANT_SLUG_REGEX, "A tenant slug.")],
        help_text="Tenant slug; required when you belong to several tenants (or are staff).",
    )


def offer_catalog_choices(serializer: DeploymentCreateInputSerializer, catalog) -> None:
    """Draw region, size and image as drop-downs of what DigitalOcean sells
    (the browsable API's form only: a POST is validated by a fresh
    serializer and checked against the catalog by the service)."""
    sold = {
        "region": sorted(catalog.regions),
        "size": list(catalog.sizes),
        "image": list(catalog.images),
    }
    for name, values in sold.items():
        field = serializer.fields[name]
        serializer.fields[name] = serializers.ChoiceField(
            choices=values, label=field.label, help_text=field.help_text
        )


class DeploymentOutputSerializer(serializers.Serializer):
    id = PublicIdField(source="public_id")
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
