from rest_framework.routers import SimpleRouter

from .views import OnboardingPolicyViewSet, OnboardingViewSet

router = SimpleRouter()
router.register("onboardings", OnboardingViewSet, basename="onboarding")
router.register("onboarding-policies", OnboardingPolicyViewSet, basename="onboarding-policy")
urlpatterns = router.urls
