from django.urls import path

from apps.workflows.views import comment_urls

from . import exception_views, views

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
    # exceptions (flow 4)
    path("assets/<int:pk>/report/", exception_views.report_asset, name="report_asset"),
    path("assets/<int:pk>/check/", exception_views.check_asset, name="check_asset"),
    path("clients/<slug:slug>/exception-policy/", exception_views.exception_policy, name="exception_policy"),
    path("clients/<slug:slug>/exceptions/detect/", exception_views.detect_client, name="detect_client"),
    path("cases/<int:pk>/agency-links/", exception_views.agency_link_create, name="agency_link_create"),
    path(
        "cases/<int:pk>/agency-links/<int:link_id>/revoke/",
        exception_views.agency_link_revoke,
        name="agency_link_revoke",
    ),
    path("cases/<int:pk>/correct/", exception_views.external_correction, name="external_correction"),
    path("agency/<str:token>/", exception_views.agency_page, name="agency_page"),
]
