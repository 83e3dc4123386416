from django.urls import path

from . import views

app_name = "exceptions"

urlpatterns = [
    path("cases/", views.case_list, name="case_list"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("cases/tasks/<int:pk>/decide/", views.case_decide, name="case_decide"),
    path("clients/<slug:slug>/compliance-rules/", views.compliance_rules, name="compliance_rules"),
]
