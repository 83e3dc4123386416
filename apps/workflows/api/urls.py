from rest_framework.routers import SimpleRouter

from .views import CommentViewSet, TaskViewSet

router = SimpleRouter()
router.register("tasks", TaskViewSet, basename="task")
router.register("comments", CommentViewSet, basename="comment")
urlpatterns = router.urls
