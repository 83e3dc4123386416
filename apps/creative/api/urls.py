from rest_framework.routers import SimpleRouter

from .views import CampaignTypeViewSet, CreativeRequestViewSet, FormatViewSet

router = SimpleRouter()
router.register("creative-requests", CreativeRequestViewSet, basename="creative-request")
router.register("campaign-types", CampaignTypeViewSet, basename="campaign-type")
router.register("formats", FormatViewSet, basename="format")
urlpatterns = router.urls
