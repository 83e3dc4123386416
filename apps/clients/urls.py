from django.urls import path

from . import views

app_name = "clients"

urlpatterns = [
    path("", views.client_list, name="client_list"),
    path("switch/", views.client_switch, name="client_switch"),
    path("<slug:slug>/", views.client_detail, name="client_detail"),
    path("<slug:slug>/policies/", views.client_policies, name="client_policies"),
]
