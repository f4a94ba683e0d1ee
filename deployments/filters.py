"""Query-string filters of the deployments list."""

import django_filters

from deployments.models import Deployment, DeploymentStatus


class DeploymentFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=DeploymentStatus.choices)

    class Meta:
        model = Deployment
        fields = ["status"]
