from rest_framework.routers import SimpleRouter

from .views import ShareViewSet

router = SimpleRouter()
router.register("shares", ShareViewSet, basename="share")
urlpatterns = router.urls
