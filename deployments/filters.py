import django_filters

from deployments.models import Deployment, DeploymentStatus
from provisioning.models import Saga, SagaStatus


class DeploymentFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=DeploymentStatus.choices)

    class Meta:
        model = Deployment
        fields = ["status"]


class SagaFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=SagaStatus.choices)
    kind = django_filters.CharFilter()
    deployment = django_filters.NumberFilter(field_name="deployment_id")

    class Meta:
        model = Saga
        fields = ["status", "kind", "deployment"]
