from rest_framework.routers import DefaultRouter

from deployments.apis import DeploymentViewSet, SagaViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("deployments", DeploymentViewSet, basename="deployment")
router.register("sagas", SagaViewSet, basename="saga")

urlpatterns = router.urls
