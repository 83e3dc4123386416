from django.urls import path

from apps.workflows.views import comment_urls

from . import views

app_name = "creative"

urlpatterns = [
    path("requests/", views.request_list, name="request_list"),
    path("requests/new/", views.request_new, name="request_new"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("requests/<int:pk>/edit/", views.request_edit, name="request_edit"),
    path("requests/<int:pk>/matches/", views.request_matches, name="request_matches"),
    path("requests/<int:pk>/shortlist/", views.shortlist, name="shortlist"),
    path(
        "requests/<int:pk>/deliveries/<int:delivery_pk>/manifest.<str:fmt>",
        views.delivery_manifest,
        name="delivery_manifest",
    ),
    path(
        "requests/<int:pk>/deliveries/<int:delivery_pk>/assets/<int:asset_pk>/download/",
        views.delivery_download,
        name="delivery_download",
    ),
    path("requests/<int:pk>/deliveries/<int:delivery_pk>/share/", views.delivery_share, name="delivery_share"),
    path("shared/deliveries/<str:token>/", views.shared_delivery, name="shared_delivery"),
    path(
        "shared/deliveries/<str:token>/assets/<int:asset_pk>/download/",
        views.shared_download,
        name="shared_download",
    ),
    path("shared/deliveries/<str:token>/manifest.<str:fmt>", views.shared_manifest, name="shared_manifest"),
    *comment_urls("requests", "creative.creativerequest", route="creative:request"),
]
