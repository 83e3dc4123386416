from django.urls import path

from . import link_views, policy_views, views

app_name = "reviews"

urlpatterns = [
    path("tasks/approve/", views.tasks_bulk_approve, name="task_bulk_approve"),
    path("tasks/<int:pk>/claim/", views.task_claim, name="task_claim"),
    path("tasks/<int:pk>/unclaim/", views.task_unclaim, name="task_unclaim"),
    path("tasks/<int:pk>/decide/", views.task_decide, name="task_decide"),
    path("clients/<slug:slug>/approval-policy/", policy_views.approval_policy, name="approval_policy"),
    path("agency/", views.agency_overview, name="agency_overview"),
    path("review-links/", link_views.link_list, name="link_list"),
    path("review-links/<int:pk>/revoke/", link_views.link_revoke, name="link_revoke"),
    path("review/<str:token>/", link_views.link_page, name="link_page"),
]
