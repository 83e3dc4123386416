"""Routes relative to the emulator's root; mounted at /emulators/<name>/ in process, at / when standalone.

Paths mirror api.opentext.com: ``tenants/{tenant}/oauth2/token`` and ``workflow/v1/...``; ``_emulator/...`` are
the emulator's own control routes.
"""

from django.urls import path

from . import control, views

app_name = "emulator_opentext"

_API = "workflow/v1/"

urlpatterns = [
    path("tenants/<str:tenant_id>/oauth2/token", views.token, name="token"),
    path(f"{_API}runtime/models", views.models, name="models"),
    path(f"{_API}process-instances", views.process_instances, name="process_instances"),
    path(f"{_API}process-instances/<str:instance_id>", views.process_instance, name="process_instance"),
    path(
        f"{_API}process-instances/<str:instance_id>/comments",
        views.process_instance_comments,
        name="process_instance_comments",
    ),
    path(f"{_API}tasks", views.tasks, name="tasks"),
    path(f"{_API}tasks/<str:task_id>", views.task, name="task"),
    path(f"{_API}tasks/<str:task_id>/comments", views.task_comments, name="task_comments"),
    path(f"{_API}historic-task-instances", views.historic_task_instances, name="historic_task_instances"),
    path(f"{_API}historic-process-instances", views.historic_process_instances, name="historic_process_instances"),
    path(
        f"{_API}historic-process-instances/<str:instance_id>",
        views.historic_process_instance,
        name="historic_process_instance",
    ),
    path(f"{_API}<path:rest>", views.unknown_resource, name="unknown_resource"),
    # control routes
    path("_emulator/reset", control.reset, name="control_reset"),
    path("_emulator/tenants", control.tenants, name="control_tenants"),
    path("_emulator/tenants/<str:tenant_id>", control.tenant, name="control_tenant"),
    path("_emulator/tenants/<str:tenant_id>/clients", control.clients, name="control_clients"),
    path("_emulator/tenants/<str:tenant_id>/users", control.users, name="control_users"),
    path("_emulator/tenants/<str:tenant_id>/tokens/expire", control.expire_tokens, name="control_expire_tokens"),
    path("_emulator/tenants/<str:tenant_id>/settings", control.tenant_settings, name="control_settings"),
    path("_emulator/faults", control.faults, name="control_faults"),
    path("_emulator/comments", control.comment, name="control_comment"),
    path("_emulator/tasks/<str:task_id>/claim", control.task_claim, name="control_task_claim"),
    path("_emulator/tasks/<str:task_id>/complete", control.task_complete, name="control_task_complete"),
    path("_emulator/process-instances/<str:instance_id>", control.instance_state, name="control_instance"),
    path(
        "_emulator/process-instances/<str:instance_id>/cancel", control.instance_cancel, name="control_instance_cancel"
    ),
]
