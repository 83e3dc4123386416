from django.apps import AppConfig


class ExceptionsConfig(AppConfig):
    name = "apps.exceptions"
    verbose_name = "Cases"

    def ready(self) -> None:
        from apps.assets import events

        from . import compliance, services  # register the renewal and compliance outcome handlers

        events.on_synced(services.sweep_client)
        events.on_synced(compliance.detect_client)
        events.on_usage(compliance.detect_soon)
