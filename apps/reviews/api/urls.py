from rest_framework.routers import SimpleRouter

from .views import CommentViewSet, ReviewCycleViewSet

router = SimpleRouter()
router.register("review-cycles", ReviewCycleViewSet, basename="reviewcycle")
router.register("comments", CommentViewSet, basename="comment")
urlpatterns = router.urls
