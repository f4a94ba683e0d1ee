"""HTTP API for deployments (the sagas' own API is the engine's). Views
validate, call one service or selector, and serialize; the rules live in
services."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from arcadia.exceptions import ApiErrorsMixin
from arcadia.public_ids import PUBLIC_ID_REGEX
from deployments import services
from deployments.filters import DeploymentFilter
from deployments.models import Deployment, DeploymentStatus
from deployments.quotas import tenants_quota_use
from deployments.selectors import (
    deployment_list,
    deployments_with_current_saga,
    tenant_for_request,
    tenant_list,
)
from deployments.serializers import (
    DeploymentCreateInputSerializer,
    DeploymentListOutputSerializer,
    DeploymentOutputSerializer,
    offer_catalog_choices,
)
from inventory.catalog import catalog_cached

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="A retried POST with the same key (per tenant) returns the same deployment "
    "and starts nothing new.",
)
IDEMPOTENCY_KEY_MAX = 255

# The answers every operation may give besides its success (arcadia.exceptions).
_ERROR = OpenApiResponse(
    OpenApiTypes.OBJECT, "field errors ({field: [message]}) or a rule broken ({detail: message})"
)
_NOT_FOUND = OpenApiResponse(
    OpenApiTypes.OBJECT,
    "no such object in your tenants, or past the last page (an integer id, the old form, is no id)",
)
_CONFLICT = OpenApiResponse(OpenApiTypes.OBJECT, "the deployment's status does not allow this change")
_UNAVAILABLE = OpenApiResponse(OpenApiTypes.OBJECT, "the database or broker is down: {detail, unavailable}")
_QUOTA = OpenApiResponse(
    OpenApiTypes.OBJECT,
    "the tenant's quota forbids it, nothing was created: {detail, quota, limit, used} "
    '(e.g. "tenant acme has 25 of 25 live deployments") or {detail, quota, allowed} '
    "for a region, size or image the tenant may not use",
)
_CATALOG_UNAVAILABLE = OpenApiResponse(
    OpenApiTypes.OBJECT,
    "the database or broker is down, or DigitalOcean's catalog was never read and cannot be now "
    "({detail, unavailable}, with Retry-After); nothing was created",
)
LIST_ERRORS = {400: _ERROR, 404: _NOT_FOUND, 503: _UNAVAILABLE}
DETAIL_ERRORS = {404: _NOT_FOUND, 503: _UNAVAILABLE}
CHANGE_ERRORS = {400: _ERROR, 404: _NOT_FOUND, 409: _CONFLICT, 503: _UNAVAILABLE}


@extend_schema_view(
    list=extend_schema(
        summary="List deployments (your tenants'; all for staff)",
        description="Each with a summary of its current saga; the detail has every step.",
        responses={200: DeploymentListOutputSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(
        summary="A deployment with its current saga and every step",
        responses={200: DeploymentOutputSerializer, **DETAIL_ERRORS},
    ),
)
class DeploymentViewSet(
    ApiErrorsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    # For the schema generator only; requests go through get_queryset.
    queryset = Deployment.objects.none()
    filterset_class = DeploymentFilter
    # The API names it by its public id; any other path (an integer id of
    # old among them) is the API's JSON 404 (arcadia.error_pages).
    lookup_value_regex = PUBLIC_ID_REGEX
    lookup_field = "public_id"
    lookup_url_kwarg = "pk"

    def get_queryset(self):
        return deployment_list(user=self.request.user)

    def paginate_queryset(self, queryset):
        # The page's current sagas in two queries, whatever the page size.
        page = super().paginate_queryset(queryset)
        return None if page is None else deployments_with_current_saga(page)

    def get_serializer_class(self):
        # The browsable API builds its form from this on the list page.
        if self.action == "create":
            return DeploymentCreateInputSerializer
        if self.action == "list":
            return DeploymentListOutputSerializer
        return DeploymentOutputSerializer

    def get_serializer(self, *args, **kwargs):
        serializer = super().get_serializer(*args, **kwargs)
        # The browsable API's form offers what DigitalOcean sells, when a
        # catalog is cached (never a provider call to draw a page).
        browsing = getattr(getattr(self.request, "accepted_renderer", None), "format", "") == "api"
        form = isinstance(serializer, DeploymentCreateInputSerializer) and browsing
        if form and (catalog := catalog_cached()) is not None:
            offer_catalog_choices(serializer, catalog)
        return serializer

    def _answer(self, deployment, code, **headers) -> Response:
        """Re-read through the selector so the body shows the saga just started."""
        deployment = self.get_queryset().get(pk=deployment.pk)
        body = DeploymentOutputSerializer(deployment, context=self.get_serializer_context()).data
        location = reverse("deployment-detail", kwargs={"pk": deployment.public_id})
        return Response(body, status=code, headers={"Location": location, **headers})

    @extend_schema(
        summary="Create a deployment (and provision it)",
        parameters=[IDEMPOTENCY_KEY],
        request=DeploymentCreateInputSerializer,
        responses={
            202: OpenApiResponse(DeploymentOutputSerializer, "provisioning started (provision: true)"),
            201: OpenApiResponse(DeploymentOutputSerializer, "created pending (provision: false)"),
            400: OpenApiResponse(
                OpenApiTypes.OBJECT,
                "field errors ({field: [message]}), among them a region, size or image DigitalOcean "
                "does not sell, or a size not sold in the region (the message names what is sold)",
            ),
            403: _QUOTA,
            404: OpenApiResponse(OpenApiTypes.OBJECT, "the tenant named is not one of yours"),
            409: OpenApiResponse(
                OpenApiTypes.OBJECT,
                "the hostname is taken, an A record Arcadia did not create stands at the name "
                "(named in the answer), or the Idempotency-Key was used for another request",
            ),
            503: _CATALOG_UNAVAILABLE,
        },
    )
    def create(self, request):
        data = DeploymentCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        key = request.headers.get("Idempotency-Key", "").strip()
        if len(key) > IDEMPOTENCY_KEY_MAX:
            return Response({"Idempotency-Key": ["At most 255 characters."]}, status=400)
        tenant = tenant_for_request(user=request.user, slug=fields.pop("tenant", None))
        result = services.deployment_create(tenant=tenant, idempotency_key=key, **fields)
        provisioned = result.deployment.status != DeploymentStatus.PENDING
        headers = {} if result.created else {"Idempotent-Replayed": "true"}
        code = status.HTTP_202_ACCEPTED if provisioned else status.HTTP_201_CREATED
        return self._answer(result.deployment, code, **headers)

    @extend_schema(
        summary="Provision a pending deployment",
        request=None,
        responses={
            202: DeploymentOutputSerializer,
            **CHANGE_ERRORS,
            400: OpenApiResponse(
                OpenApiTypes.OBJECT, "DigitalOcean no longer sells its region, size or image there"
            ),
            403: _QUOTA,
            409: OpenApiResponse(
                OpenApiTypes.OBJECT,
                "the deployment is not pending, or an A record Arcadia did not create stands at its name",
            ),
            503: _CATALOG_UNAVAILABLE,
        },
    )
    @action(detail=True, methods=["post"])
    def provision(self, request, pk=None):
        deployment = self.get_object()
        services.deployment_provision(deployment=deployment)
        return self._answer(deployment, status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Cancel: a pending deployment at once, a provisioning one at its saga's next step",
        request=None,
        responses={202: DeploymentOutputSerializer, **CHANGE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        deployment = self.get_object()
        services.deployment_cancel(deployment=deployment)
        return self._answer(deployment, status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Delete: tear down an active deployment (202), or delete a pending one (204)",
        responses={202: DeploymentOutputSerializer, 204: None, **CHANGE_ERRORS},
    )
    def destroy(self, request, pk=None):
        deployment = self.get_object()
        saga = services.deployment_teardown(deployment=deployment)
        if saga is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return self._answer(deployment, status.HTTP_202_ACCEPTED)


class TenantQuotaOutputSerializer(serializers.Serializer):
    """A tenant as GET /api/me/ shows it: its quotas and their use."""

    slug = serializers.CharField()
    name = serializers.CharField()
    live_deployments = serializers.IntegerField(
        help_text="provisioning, active, deprovisioning or failed: what max_live_deployments counts"
    )
    max_live_deployments = serializers.IntegerField()
    allowed_regions = serializers.ListField(child=serializers.CharField(), help_text="empty: all sold")
    allowed_sizes = serializers.ListField(child=serializers.CharField(), help_text="empty: all sold")
    allowed_images = serializers.ListField(child=serializers.CharField(), help_text="empty: all sold")


class MeApi(APIView):
    """Who the caller is and which tenants it may act for: what a client
    needs to know before it POSTs (a user of several tenants must name one)."""

    class OutputSerializer(serializers.Serializer):
        username = serializers.CharField()
        is_staff = serializers.BooleanField()
        tenants = TenantQuotaOutputSerializer(many=True)

    @extend_schema(
        summary="The authenticated user and its tenants, with each tenant's quotas and their use",
        responses=OutputSerializer,
    )
    def get(self, request):
        mine = list(tenant_list(user=request.user))
        names = {t.slug: t.name for t in mine}
        tenants = [{"name": names[row["slug"]], **row} for row in tenants_quota_use(mine)]
        body = {
            "username": request.user.get_username(),
            "is_staff": request.user.is_staff,
            "tenants": tenants,
        }
        return Response(self.OutputSerializer(body).data)
