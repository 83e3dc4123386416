from rest_framework.routers import SimpleRouter

from .views import AssetViewSet, UsageEventViewSet

router = SimpleRouter()
router.register("assets", AssetViewSet, basename="asset")
router.register("usage-events", UsageEventViewSet, basename="usageevent")
urlpatterns = router.urls
