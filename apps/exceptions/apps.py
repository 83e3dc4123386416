from django.apps import AppConfig


class ExceptionsConfig(AppConfig):
    name = "apps.exceptions"
    verbose_name = "Cases"

    def ready(self) -> None:
        from apps.assets import events

        from . import services  # registers the rights-renewal outcome handler

        events.on_synced(services.sweep_client)
