from rest_framework.routers import SimpleRouter

from .views import NotificationViewSet, PreferenceViewSet

router = SimpleRouter()
router.register("notifications", NotificationViewSet, basename="notification")
router.register("notification-preferences", PreferenceViewSet, basename="notification-preference")
urlpatterns = router.urls
