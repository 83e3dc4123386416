from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AnalyticsConfig(AppConfig):
    name = "apps.analytics"
    verbose_name = "Analytics (where reviews wait)"

    def ready(self) -> None:
        from .schedules import ensure_schedules

        post_migrate.connect(ensure_schedules, sender=self, dispatch_uid="analytics.ensure_schedules")
