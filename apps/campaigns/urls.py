from django.urls import path

from . import views

app_name = "campaigns"

urlpatterns = [
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/new/", views.campaign_new, name="campaign_new"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/matrix/", views.campaign_matrix, name="campaign_matrix"),
    path("campaigns/<int:pk>/assets/", views.campaign_add_assets, name="campaign_add_assets"),
    path("campaigns/<int:pk>/start/", views.campaign_start, name="campaign_start"),
    path("campaigns/cells/<int:pk>/", views.cell_detail, name="cell_detail"),
]
