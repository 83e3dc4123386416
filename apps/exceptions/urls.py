from django.urls import path

from apps.workflows.views import comment_urls

from . import views

app_name = "exceptions"

urlpatterns = [
    path("cases/", views.case_list, name="case_list"),
    path("cases/calendar/", views.rights_calendar, name="rights_calendar"),
    path("cases/calendar.ics", views.calendar_feed, name="calendar_feed"),
    path("cases/calendar/feed/rotate/", views.calendar_feed_rotate, name="calendar_feed_rotate"),
    path("cases/calendar/feed/stop/", views.calendar_feed_stop, name="calendar_feed_stop"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    *comment_urls("cases", "exceptions.case", route="exceptions:case"),
    path("clients/<slug:slug>/compliance-rules/", views.compliance_rules, name="compliance_rules"),
]
