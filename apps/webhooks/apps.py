from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "apps.webhooks"
    verbose_name = "Outbound webhooks"

    def ready(self) -> None:
        from . import handlers  # noqa: F401 - registers the event listener and the outbox handler
