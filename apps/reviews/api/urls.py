from rest_framework.routers import SimpleRouter

from .views import ReviewCycleViewSet

router = SimpleRouter()
router.register("review-cycles", ReviewCycleViewSet, basename="reviewcycle")
urlpatterns = router.urls
