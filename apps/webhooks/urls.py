from django.urls import path

from . import views

app_name = "webhooks"

urlpatterns = [
    path("webhooks/", views.endpoint_list, name="endpoint_list"),
    path("webhooks/new/", views.endpoint_create, name="endpoint_create"),
    path("webhooks/<int:pk>/", views.endpoint_detail, name="endpoint_detail"),
    path("webhooks/<int:pk>/rotate/", views.endpoint_rotate, name="endpoint_rotate"),
    path("webhooks/<int:pk>/test/", views.endpoint_test, name="endpoint_test"),
    path("webhooks/<int:pk>/disable/", views.endpoint_disable, name="endpoint_disable"),
    path("webhooks/<int:pk>/enable/", views.endpoint_enable, name="endpoint_enable"),
    path("webhooks/<int:pk>/delete/", views.endpoint_delete, name="endpoint_delete"),
]
