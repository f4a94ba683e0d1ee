"""URLs of the saga API."""

from rest_framework.routers import DefaultRouter

from provisioning.engine.apis import SagaViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("sagas", SagaViewSet, basename="saga")

urlpatterns = router.urls
