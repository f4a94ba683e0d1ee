"""HTTP API for sagas: read-only, scoped by :mod:`selectors` to what the
user may see."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from provisioning.engine.filters import SagaFilter
from provisioning.engine.models import Saga
from provisioning.engine.selectors import saga_detail_list, saga_list
from provisioning.engine.serializers import SagaDetailOutputSerializer, SagaOutputSerializer


@extend_schema_view(
    list=extend_schema(summary="List sagas with their steps", responses=SagaOutputSerializer(many=True)),
    retrieve=extend_schema(summary="A saga with its steps and events", responses=SagaDetailOutputSerializer),
)
class SagaViewSet(viewsets.ReadOnlyModelViewSet):
    # For the schema generator only; requests go through get_queryset.
    queryset = Saga.objects.none()
    filterset_class = SagaFilter

    def get_queryset(self):
        if self.action == "retrieve":
            return saga_detail_list(user=self.request.user)
        return saga_list(user=self.request.user)

    def get_serializer_class(self):
        return SagaDetailOutputSerializer if self.action == "retrieve" else SagaOutputSerializer
