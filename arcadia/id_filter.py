"""A query-string filter on an object's id: an integer a database id can be, or a 400.

django-filter's NumberFilter reads a Decimal, so ``1e20`` or ``2**63`` went
to the database and overflowed SQLite's integers (a 500). Ids are positive
64-bit integers (BigAutoField); anything else is refused by the form.
"""

import django_filters
from django import forms
from drf_spectacular.utils import extend_schema_field

MAX_ID = 2**63 - 1


class IdField(forms.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


# The schema says the same range the form enforces, so a client (and
# schemathesis) knows which ids are refused before sending one.
@extend_schema_field({"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.Filter):
    field_class = IdField
