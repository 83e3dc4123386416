from django.urls import path

from apps.workflows.views import comment_urls

from . import calendar, views

app_name = "exceptions"

urlpatterns = [
    path("cases/", views.case_list, name="case_list"),
    path("cases/calendar/", calendar.rights_calendar, name="rights_calendar"),
    path("cases/calendar.ics", calendar.calendar_feed, name="calendar_feed"),
    path("cases/calendar/feed/rotate/", calendar.calendar_feed_rotate, name="calendar_feed_rotate"),
    path("cases/calendar/feed/stop/", calendar.calendar_feed_stop, name="calendar_feed_stop"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    *comment_urls("cases", "exceptions.case", route="exceptions:case"),
    path("clients/<slug:slug>/compliance-rules/", views.compliance_rules, name="compliance_rules"),
]
