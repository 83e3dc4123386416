from django.urls import path

from . import views

app_name = "emulator_receiver"

urlpatterns = [path("<slug:slug>/", views.receive, name="receive")]
