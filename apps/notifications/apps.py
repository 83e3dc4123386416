from django.apps import AppConfig
from django.db.models.signals import post_migrate


class NotificationsConfig(AppConfig):
    name = "apps.notifications"
    verbose_name = "Notifications (e-mail and in-app)"

    def ready(self) -> None:
        from . import (
            mail,  # noqa: F401 - registers the outbox handler "mail.send"
            services,  # noqa: F401 - registers the event listener
        )
        from .schedules import ensure_schedules

        post_migrate.connect(ensure_schedules, sender=self, dispatch_uid="notifications.ensure_schedules")
