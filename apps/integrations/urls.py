from django.urls import path

from . import inbox, views

app_name = "integrations"

urlpatterns = [
    path("sync/", views.sync_log, name="sync_log"),
    path("sync/outbox/<int:pk>/retry/", views.outbox_retry, name="outbox_retry"),
    path("sync/outbox/<int:pk>/discard/", views.outbox_discard, name="outbox_discard"),
    path("integrations/smintio/notify/", inbox.smintio_notify, name="smintio_notify"),
    path("integrations/opentext/callback/", inbox.opentext_callback, name="opentext_callback"),
    path("integrations/smintio/callback/", views.smintio_callback, name="smintio_callback"),
    path("integrations/smintio/<slug:slug>/connect/", views.smintio_connect, name="smintio_connect"),
    path("integrations/smintio/<slug:slug>/disconnect/", views.smintio_disconnect, name="smintio_disconnect"),
    path("integrations/smintio/<slug:slug>/sync/", views.smintio_sync_now, name="smintio_sync_now"),
]
