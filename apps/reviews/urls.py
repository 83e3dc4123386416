from django.urls import path

from . import policy_views, views

app_name = "reviews"

urlpatterns = [
    path("tasks/approve/", views.tasks_bulk_approve, name="task_bulk_approve"),
    path("tasks/<int:pk>/claim/", views.task_claim, name="task_claim"),
    path("tasks/<int:pk>/unclaim/", views.task_unclaim, name="task_unclaim"),
    path("tasks/<int:pk>/decide/", views.task_decide, name="task_decide"),
    path("clients/<slug:slug>/approval-policy/", policy_views.approval_policy, name="approval_policy"),
]
