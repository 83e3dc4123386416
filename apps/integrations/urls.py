from django.urls import path

from . import inbox
from .views import connect, opentext, sync_log

app_name = "integrations"

urlpatterns = [
    path("sync/", sync_log.sync_log, name="sync_log"),
    path("sync/outbox/<int:pk>/retry/", sync_log.outbox_retry, name="outbox_retry"),
    path("sync/outbox/<int:pk>/discard/", sync_log.outbox_discard, name="outbox_discard"),
    path("integrations/smintio/notify/", inbox.smintio_notify, name="smintio_notify"),
    path("integrations/opentext/callback/", inbox.opentext_callback, name="opentext_callback"),
    path("integrations/smintio/callback/", connect.smintio_callback, name="smintio_callback"),
    path("integrations/smintio/<slug:slug>/connect/", connect.smintio_connect, name="smintio_connect"),
    path("integrations/smintio/<slug:slug>/disconnect/", connect.smintio_disconnect, name="smintio_disconnect"),
    path("integrations/smintio/<slug:slug>/sync/", connect.smintio_sync_now, name="smintio_sync_now"),
    path("integrations/opentext/<slug:slug>/", opentext.opentext_connection, name="opentext_connection"),
    path(
        "integrations/opentext/<slug:slug>/remove/",
        opentext.opentext_connection_remove,
        name="opentext_connection_remove",
    ),
]
