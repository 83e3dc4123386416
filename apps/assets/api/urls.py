from rest_framework.routers import SimpleRouter

from .usage import UsageEventViewSet
from .views import AssetViewSet

router = SimpleRouter()
router.register("assets", AssetViewSet, basename="asset")
router.register("usage-events", UsageEventViewSet, basename="usageevent")
urlpatterns = router.urls
