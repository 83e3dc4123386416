from django.apps import AppConfig
from django.db.models.signals import post_migrate


class IntegrationsConfig(AppConfig):
    name = "apps.integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        from . import (
            checks,  # noqa: F401 - registers the q2 configuration checks
            handlers,  # noqa: F401 - registers the outbox handlers
        )
        from .schedules import ensure_schedules

        post_migrate.connect(ensure_schedules, sender=self, dispatch_uid="integrations.ensure_schedules")
