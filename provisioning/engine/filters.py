"""Query-string filters of the saga list."""

import django_filters

from provisioning.engine.models import Saga, SagaStatus


class SagaFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=SagaStatus.choices)
    kind = django_filters.CharFilter()
    subject_type = django_filters.CharFilter()
    subject = django_filters.CharFilter(
        field_name="subject_public_id", help_text="the subject's id as its API names it (a deployment's id)"
    )

    class Meta:
        model = Saga
        fields = ["status", "kind", "subject_type", "subject"]
