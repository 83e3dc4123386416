from django.urls import include, path

urlpatterns = [path("", include("apps.emulators.smintio.urls"))]
