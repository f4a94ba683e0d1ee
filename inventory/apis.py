"""HTTP API for the inventory: read-only."""

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from arcadia.exceptions import ApiErrorsMixin
from arcadia.public_ids import PUBLIC_ID_REGEX, PublicIdField, PublicIdFilter
from inventory.models import CloudResource, ResourceStatus
from inventory.selectors import cloud_resource_list


class CloudResourceFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ResourceStatus.choices)
    deployment = PublicIdFilter(field_name="deployment__public_id", help_text="the deployment's id")

    class Meta:
        model = CloudResource
        fields = ["status", "deployment"]


class CloudResourceOutputSerializer(serializers.Serializer):
    id = PublicIdField(source="public_id")
    provider = serializers.CharField()
    kind = serializers.CharField()
    external_id = serializers.CharField()
    name = serializers.CharField()
    region = serializers.CharField()
    size = serializers.CharField()
    ipv4 = serializers.IPAddressField(allow_null=True)
    status = serializers.CharField()
    tenant = serializers.CharField(source="tenant.slug", allow_null=True, default=None)
    deployment = PublicIdField(source="deployment.public_id", allow_null=True, default=None)
    unlinked_at = serializers.DateTimeField(allow_null=True, help_text="when the deployment stopped using it")
    destroyed_at = serializers.DateTimeField(allow_null=True)
    destroyed_by_saga = serializers.UUIDField(
        source="destroyed_by_saga_id", allow_null=True, help_text="the saga that destroyed it"
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


# Besides success: a bad filter or page, an unknown (or someone else's)
# resource, and the database being down (arcadia.exceptions).
_BAD = OpenApiResponse(OpenApiTypes.OBJECT, "field errors ({field: [message]})")
_NOT_FOUND = OpenApiResponse(
    OpenApiTypes.OBJECT,
    "no such resource you may see, or past the last page (an integer id, the old form, is no id)",
)
_UNAVAILABLE = OpenApiResponse(OpenApiTypes.OBJECT, "the database is down: {detail, unavailable}")


@extend_schema_view(
    list=extend_schema(
        summary="Cloud resources (your tenants'; all for staff)",
        responses={
            200: CloudResourceOutputSerializer(many=True),
            400: _BAD,
            404: _NOT_FOUND,
            503: _UNAVAILABLE,
        },
    ),
    retrieve=extend_schema(
        summary="One cloud resource",
        responses={200: CloudResourceOutputSerializer, 404: _NOT_FOUND, 503: _UNAVAILABLE},
    ),
)
class CloudResourceViewSet(ApiErrorsMixin, viewsets.ReadOnlyModelViewSet):
    queryset = CloudResource.objects.none()  # for the schema generator only
    serializer_class = CloudResourceOutputSerializer
    filterset_class = CloudResourceFilter
    # The API names it by its public id; any other path (an integer id of
    # old among them) is the API's JSON 404 (arcadia.error_pages).
    lookup_value_regex = PUBLIC_ID_REGEX
    lookup_field = "public_id"
    lookup_url_kwarg = "pk"

    def get_queryset(self):
        return cloud_resource_list(user=self.request.user)
