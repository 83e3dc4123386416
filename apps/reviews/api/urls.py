from django.urls import path
from rest_framework.routers import SimpleRouter

from .policy import ApprovalPolicyView
from .views import ReviewCycleViewSet

router = SimpleRouter()
router.register("review-cycles", ReviewCycleViewSet, basename="reviewcycle")
urlpatterns = [
    path("clients/<slug:slug>/approval-policy/", ApprovalPolicyView.as_view(), name="approval-policy"),
    *router.urls,
]
