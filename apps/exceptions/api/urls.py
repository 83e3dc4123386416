from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import CaseViewSet, ExceptionPolicyView

router = SimpleRouter()
router.register("cases", CaseViewSet, basename="case")
urlpatterns = [
    path("clients/<slug:slug>/exception-policy/", ExceptionPolicyView.as_view(), name="exception-policy"),
    *router.urls,
]
