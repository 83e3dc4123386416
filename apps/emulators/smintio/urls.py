"""Routes relative to the emulator's root; mounted at /emulators/smintio/ in process, at / when standalone.

Global routes (``_emulator``, ``_files``, ``_previews``) come first: tenant slugs never start with "_".
"""

from django.urls import path

from . import control, views

app_name = "emulator_smintio"

TENANT_AUTH = "<slug:tenant>/auth/"
TENANT_API = "<slug:tenant>/consumer/v1/"
CONTROL_TENANT = "_emulator/tenants/<slug:tenant>/"

urlpatterns = [
    # Control routes (test double only).
    path("_emulator/reset", control.reset, name="control_reset"),
    path("_emulator/faults", control.faults, name="control_faults"),
    path("_emulator/faults/clear", control.faults_clear, name="control_faults_clear"),
    path("_emulator/requests", control.requests_log, name="control_requests"),
    path("_emulator/tenants", control.tenants, name="control_tenants"),
    path(CONTROL_TENANT.rstrip("/"), control.tenant_detail, name="control_tenant"),
    path(f"{CONTROL_TENANT}settings", control.tenant_settings, name="control_tenant_settings"),
    path(f"{CONTROL_TENANT}seed", control.seed, name="control_seed"),
    path(f"{CONTROL_TENANT}refresh-token", control.refresh_token, name="control_refresh_token"),
    path(f"{CONTROL_TENANT}tokens/expire", control.expire_tokens, name="control_expire_tokens"),
    path(f"{CONTROL_TENANT}lpts", control.lpts, name="control_lpts"),
    path(f"{CONTROL_TENANT}lpts/<str:lpt_uuid>", control.lpt_detail, name="control_lpt"),
    path(f"{CONTROL_TENANT}lpts/<str:lpt_uuid>/bump", control.lpt_bump, name="control_lpt_bump"),
    path(f"{CONTROL_TENANT}lpts/<str:lpt_uuid>/cancel", control.lpt_cancel, name="control_lpt_cancel"),
    path(f"{CONTROL_TENANT}lpts/<str:lpt_uuid>/redeliver", control.lpt_redeliver, name="control_lpt_redeliver"),
    path(f"{CONTROL_TENANT}lpts/<str:lpt_uuid>/usage", control.lpt_usage, name="control_lpt_usage"),
    path(
        f"{CONTROL_TENANT}lpts/<str:lpt_uuid>/binaries/<str:binary_uuid>/bump",
        control.binary_bump,
        name="control_binary_bump",
    ),
    path(f"{CONTROL_TENANT}usage-events", control.usage_events, name="control_usage_events"),
    path(
        f"{CONTROL_TENANT}content-elements/<str:element_uuid>/workflow-status",
        control.workflow_history,
        name="control_workflow_history",
    ),
    path(
        f"{CONTROL_TENANT}content-elements/<str:element_uuid>/metadata-updates",
        control.metadata_updates,
        name="control_metadata_updates",
    ),
    path(f"{CONTROL_TENANT}notify", control.notify, name="control_notify"),
    # Emulator-served files.
    path("_files/<str:token>", views.file, name="file"),
    path("_previews/<str:content_element_uuid>.svg", views.preview, name="preview"),
    # OIDC (SMINTIO_AUTH_BASE).
    path(f"{TENANT_AUTH}.well-known/openid-configuration", views.openid_configuration, name="openid_configuration"),
    path(f"{TENANT_AUTH}connect/authorize", views.authorize, name="authorize"),
    path(f"{TENANT_AUTH}connect/token", views.token, name="token"),
    path(f"{TENANT_AUTH}connect/revocation", views.revocation, name="revocation"),
    # CLAPI-C (SMINTIO_API_BASE).
    path(f"{TENANT_API}sync/generic-metadata", views.generic_metadata, name="generic_metadata"),
    path(
        f"{TENANT_API}sync/license-purchase-transactions",
        views.license_purchase_transactions,
        name="license_purchase_transactions",
    ),
    path(
        f"{TENANT_API}sync/cart-purchase-transactions/<str:cart_uuid>/license-purchase-transactions/<str:lpt_uuid>"
        "/binaries",
        views.binaries,
        name="binaries",
    ),
    path(f"{TENANT_API}sync/usage-events", views.usage_events, name="usage_events"),
    path(f"{TENANT_API}notifications/pusher/auth", views.pusher_auth, name="pusher_auth"),
    path(
        f"{TENANT_API}content-elements/<str:element_uuid>/workflow-status",
        views.workflow_status,
        name="workflow_status",
    ),
    path(f"{TENANT_API}content-elements/<str:element_uuid>/metadata", views.metadata, name="metadata"),
]
