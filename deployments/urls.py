"""URLs of the deployments API."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from deployments.apis import DeploymentViewSet, MeApi

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("deployments", DeploymentViewSet, basename="deployment")

urlpatterns = [path("me/", MeApi.as_view(), name="me"), *router.urls]
