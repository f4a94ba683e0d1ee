"""HTTP API for sagas: read-only, scoped by :mod:`selectors` to what the
user may see."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import viewsets

from provisioning.engine.filters import SagaFilter
from provisioning.engine.models import Saga
from provisioning.engine.selectors import saga_detail_list, saga_list
from provisioning.engine.serializers import SagaDetailOutputSerializer, SagaOutputSerializer

SAGA_ID_REGEX = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"

# Besides success: a bad filter or page, an unknown (or someone else's)
# saga, and the database being down (the project's exception handler).
_BAD = OpenApiResponse(OpenApiTypes.OBJECT, "field errors ({field: [message]})")
_NOT_FOUND = OpenApiResponse(OpenApiTypes.OBJECT, "no such saga you may see, or past the last page")
_UNAVAILABLE = OpenApiResponse(OpenApiTypes.OBJECT, "the database is down: {detail, unavailable}")


@extend_schema_view(
    list=extend_schema(
        summary="List sagas with their steps",
        responses={200: SagaOutputSerializer(many=True), 400: _BAD, 404: _NOT_FOUND, 503: _UNAVAILABLE},
    ),
    retrieve=extend_schema(
        summary="A saga with its steps and events",
        responses={200: SagaDetailOutputSerializer, 404: _NOT_FOUND, 503: _UNAVAILABLE},
    ),
)
class SagaViewSet(viewsets.ReadOnlyModelViewSet):
    # For the schema generator only; requests go through get_queryset.
    queryset = Saga.objects.none()
    filterset_class = SagaFilter
    # A saga's primary key is a random UUID (version 4): it counts nothing,
    # so it is the id the API shows. Only a UUID routes (the schema shows
    # the pattern); any other path is the project's JSON 404.
    lookup_value_regex = SAGA_ID_REGEX

    def get_queryset(self):
        if self.action == "retrieve":
            return saga_detail_list(user=self.request.user)
        return saga_list(user=self.request.user)

    def get_serializer_class(self):
        return SagaDetailOutputSerializer if self.action == "retrieve" else SagaOutputSerializer
