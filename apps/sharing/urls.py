from django.urls import path

from . import views

app_name = "sharing"

urlpatterns = [
    path("shares/", views.share_create, name="share_create"),
    path("shares/<int:pk>/revoke/", views.share_revoke, name="share_revoke"),
]
