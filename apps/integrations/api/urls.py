from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import OutboxViewSet, SyncView

router = SimpleRouter()
router.register("sync/outbox", OutboxViewSet, basename="outbox")
urlpatterns = [path("sync/", SyncView.as_view(), name="sync"), *router.urls]
