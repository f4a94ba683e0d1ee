"""URLs of the inventory API."""

from rest_framework.routers import DefaultRouter

from inventory.apis import CloudResourceViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("resources", CloudResourceViewSet, basename="resource")

urlpatterns = router.urls
