"""A query-string filter on an object's id: an integer a database id can be, or a 400.

django-filter's NumberFilter reads a Decimal, so ``1e20`` or ``2**63`` went
to the database and overflowed SQLite's integers (a 500). Ids are positive
64-bit integers (BigAutoField); anything else is refused by the form.
"""

import django_filters
from django import forms

MAX_ID = 2**63 - 1


class IdField(forms.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class IdFilter(django_filters.Filter):
    field_class = IdField
