from django.urls import path

from . import views

app_name = "analytics"

urlpatterns = [
    path("", views.bottlenecks, name="bottlenecks"),
    path("export.csv", views.export, name="export"),
]
