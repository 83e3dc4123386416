from django.urls import include, path

urlpatterns = [path("", include("apps.emulators.opentext.urls"))]
