"""Public ids: what the HTTP API calls a deployment or a resource by.

Primary keys are global sequences: a tenant that saw id 41 yesterday and 57
today knew how many deployments everyone else had made in between (issue 22,
item 12). The API names objects by a random UUID (version 4, 122 random bits
from the OS's CSPRNG) instead, stored beside the integer key, which stays the
key of every foreign key, of the engine's ledger and of the admin. UUIDs,
not a prefixed id: the sagas' ids already are UUID4s, so every id the API
shows has one format, and the database stores them natively (16 bytes).
docs/decisions/0029-public-ids.md gives the reasons.

The models declare their column themselves (``UUIDField(default=uuid4,
unique=True, editable=False)``): models load before DRF may be imported.
"""

import django_filters
from django import forms
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# The canonical form the API writes: lowercase hex, hyphenated. A detail
# URL routes only this (``lookup_value_regex``, which the schema shows as
# the path's pattern); anything else, an integer id of old among them, is
# the API's JSON 404 (arcadia.error_pages). A query-string filter reads as
# leniently as Python's uuid.UUID, and refuses the rest with a 400.
PUBLIC_ID_REGEX = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_SCHEMA = {"type": "string", "format": "uuid", "pattern": f"^{PUBLIC_ID_REGEX}$"}


@extend_schema_field(_SCHEMA)
class PublicIdField(serializers.UUIDField):
    """An output field showing a public id, with the schema's pattern."""


# A query-string filter on a public id: anything that is not a UUID is a 400
# from the form (the schema says the same pattern).
class _PresentUUIDField(forms.UUIDField):
    """A UUID, or absent: ``?deployment=`` (present, empty) is no public id,
    and filtering by nothing would answer every row (the schema says so)."""

    def clean(self, value):
        if value == "":
            raise forms.ValidationError("Not a public id (a UUID).", code="invalid")
        return super().clean(value)


@extend_schema_field(_SCHEMA)
class PublicIdFilter(django_filters.UUIDFilter):
    field_class = _PresentUUIDField
